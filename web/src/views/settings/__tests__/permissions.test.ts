import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { i18n } from '@/i18n';
import type { PermissionPolicy, PolicyView } from '@/api/permissions';

vi.mock('@/api/permissions', async (orig) => ({
  ...(await orig<typeof import('@/api/permissions')>()),
  getPermissionPolicy: vi.fn(),
  putPermissionPolicy: vi.fn(),
}));
import * as api from '@/api/permissions';
import { ApiError } from '@/api/http';
import { useAuthStore } from '@/stores/auth';
import { useSettingsStore } from '@/stores/settings';
import PermissionsForm from '../PermissionsForm.vue';

const role = { unlimited: false, gift_topup_gap: '10.00', price_protect_days: 15, small_payment_cap: '5.00', small_payments_per_order: 0, small_collection_cap: '20.00',
  goodwill_caps: { delivery: '5.00', campaign: '5.00', warehouse: '5.00', product: '5.00', buyer: '3.00' } };
const policy: PermissionPolicy = {
  agent: role, lead: { ...role, unlimited: true },
  gift_thresholds: [{ threshold: '199.00', gift_sku: 'SOCKS-GIFT' }],
  gift_table: { 'DRESS-RED-M': ['SOCKS-GIFT'] },
  campaign_active: false, campaign_gift_warning: true, price_protect_excluded: ['big_sale', 'flash_sale'],
};
const view: PolicyView = {
  shop: 's1', platform: 'pdd', policy, defaults: policy, customized: false, updated_at: null, updated_by: '', updated_by_name: '',
  platform_limits: { small_payments_per_order: 3, small_payment_cap: '200.00' },
};

async function mountAs(userRole: 'agent' | 'lead') {
  setActivePinia(createPinia());
  useAuthStore().user = { id: 'u1', username: 'u', display_name: 'U', role: userRole, shop_ids: ['s1'], skills: [] } as never;
  vi.mocked(api.getPermissionPolicy).mockResolvedValue(view);
  await useSettingsStore().loadPermissions();
  const w = mount(PermissionsForm, { global: { plugins: [i18n] } });
  await flushPromises();
  return w;
}

describe('settings: permission policy form', () => {
  beforeEach(() => {
    vi.mocked(api.putPermissionPolicy).mockReset();
  });

  it('sends the whole edited policy: a raised cap, an untouched cause and a removed one', async () => {
    const w = await mountAs('lead');
    expect(w.find('[data-testid="perm-platform-limits"]').text()).toContain('3');
    await w.find('[data-testid="perm-agent-goodwill-delivery"]').setValue('8.00');
    // Untick the buyer cause: it is left out, so it needs a lead.
    const buyerRow = w.findAll('tr').find((r) => r.text().includes('买家原因'))!;
    await buyerRow.find('input[type="checkbox"]').setValue(false);
    await w.find('[data-testid="perm-exclude-big-sale"]').setValue(false);
    await w.find('[data-testid="perm-gift-table"]').setValue('DRESS-RED-M = SOCKS-GIFT, HAIRBAND\nTEE-WHITE-M ＝ SOCKS-GIFT');
    vi.mocked(api.putPermissionPolicy).mockResolvedValue({ ...view, customized: true });
    await w.find('form').trigger('submit');
    await flushPromises();
    const [body] = vi.mocked(api.putPermissionPolicy).mock.calls[0];
    expect(body.agent?.goodwill_caps).toEqual({ delivery: '8.00', campaign: '5.00', warehouse: '5.00', product: '5.00' });
    expect(body.lead?.unlimited).toBe(true);
    expect(body.price_protect_excluded).toEqual(['flash_sale']);
    expect(body.gift_table).toEqual({ 'DRESS-RED-M': ['SOCKS-GIFT', 'HAIRBAND'], 'TEE-WHITE-M': ['SOCKS-GIFT'] });
    expect(body.gift_thresholds).toEqual([{ threshold: '199.00', gift_sku: 'SOCKS-GIFT' }]);
  });

  it('shows the field the server refused', async () => {
    const w = await mountAs('lead');
    vi.mocked(api.putPermissionPolicy).mockRejectedValue(
      new ApiError(400, { error: 'invalid_argument', message: '不能超过平台每单小额打款上限 3 次', field: 'agent.small_payments_per_order' }));
    await w.find('[data-testid="perm-agent-payment-count"]').setValue(5);
    await w.find('form').trigger('submit');
    await flushPromises();
    expect(w.find('[data-testid="perm-error"]').text()).toContain('agent.small_payments_per_order');
    expect(w.find('[data-testid="perm-agent-payment-count"]').element.closest('td')?.classList.contains('invalid')).toBe(true);
  });

  it('is read-only for agents', async () => {
    const w = await mountAs('agent');
    expect(w.find('[data-testid="perm-save"]').exists()).toBe(false);
    expect((w.find('[data-testid="perm-agent-goodwill-delivery"]').element as HTMLInputElement).disabled).toBe(true);
  });
});
