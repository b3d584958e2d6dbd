import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { i18n } from '@/i18n';
import type { ChatMessage } from '@/stores/conversations';

vi.mock('@/api/compliance', () => ({
  checkCompliance: vi.fn(async () => ({
    ok: false,
    violations: [{ category: '极限词', rule: 'absolute', severity: 'block', start: 2, end: 6, match: '全网最低', suggestion: '改为“超值”', replacements: ['超值'] }],
  })),
}));

vi.mock('@/api/templates', () => ({
  listTemplateVariables: vi.fn(async () => ({
    items: [
      { name: '买家昵称', key: 'buyer_name', description: '', example: '小红' },
      { name: '订单号', key: 'order_id', description: '', example: '1' },
    ],
    scenes: ['general', 'shipping_notice'],
  })),
  listTemplates: vi.fn(async () => ({
    shop: 's1',
    items: [
      { id: 't1', shop: 's1', scene: 'shipping_notice', title: '发货通知', text: '{买家昵称}，订单{订单号}已发出', variables: ['买家昵称', '订单号'],
        updated_by: 'u', updated_by_name: 'u', created_at: '', updated_at: '' },
      { id: 't2', shop: 's1', scene: 'general', title: '问候', text: '亲，在的', variables: [],
        updated_by: 'u', updated_by_name: 'u', created_at: '', updated_at: '' },
    ],
  })),
  renderTemplate: vi.fn(async () => ({
    template_id: 't1', conversation_id: 'c1', order_id: null, text: '小红，订单{订单号}已发出', missing: ['订单号'], ok: true, violations: [],
  })),
}));

import * as complianceApi from '@/api/compliance';
import * as templatesApi from '@/api/templates';
import Composer from '../Composer.vue';
import MessageBubble from '../MessageBubble.vue';

const global = { plugins: [i18n] };
const base: ChatMessage = {
  id: 'm1', conversation_id: 'c1', shop: 's1', buyer: 'b1', from: 'buyer', agent: null, text: '',
  ts: '2026-11-23T20:00:00+08:00', client_msg_id: null, order_id: null, seq: 1,
};

describe('MessageBubble', () => {
  it('shows buyer HTML as text, never as markup', () => {
    const evil = '<img src=x onerror=alert(1)>';
    const w = mount(MessageBubble, { props: { msg: { ...base, text: evil } }, global });
    expect(w.find('img').exists()).toBe(false);
    expect(w.find('.msg-text').text()).toBe(evil);
  });

  it('shows an order card and the retry button of a failed send', async () => {
    const w = mount(MessageBubble, {
      props: { msg: { ...base, from: 'agent', id: 'local:x', order_id: '261123-000000000001', state: 'failed', error: 'network', text: '好的' } },
      global,
    });
    expect(w.find('.order-card-id').text()).toBe('261123-000000000001');
    expect(w.text()).toContain('发送失败');
    await w.find('[data-testid="retry"]').trigger('click');
    expect(w.emitted('retry')).toEqual([['local:x']]);
  });
});

describe('Composer', () => {
  beforeEach(() => setActivePinia(createPinia()));

  it('sends on Enter, adds a newline on Shift+Enter, ignores Enter while composing (IME)', async () => {
    const w = mount(Composer, { props: { shop: 's1', conversationId: 'c1' }, global });
    const ta = w.find('textarea');
    await ta.setValue('你好');
    await ta.trigger('keydown', { key: 'Enter', shiftKey: true });
    expect(w.emitted('send')).toBeUndefined();
    await ta.trigger('keydown', { key: 'Enter', isComposing: true });
    expect(w.emitted('send')).toBeUndefined();
    await ta.trigger('keydown', { key: 'Enter' });
    expect(w.emitted('send')).toEqual([['你好']]);
    expect((ta.element as HTMLTextAreaElement).value).toBe('');
  });

  it('highlights violations while typing and applies the suggestion in one click', async () => {
    vi.useFakeTimers();
    const w = mount(Composer, { props: { shop: 's1', conversationId: 'c1' }, global });
    await w.find('textarea').setValue('我们全网最低价');
    await vi.advanceTimersByTimeAsync(350);
    await w.vm.$nextTick();
    expect(w.find('mark.hit.block').text()).toBe('全网最低');
    await w.find('[data-testid="suggestion"]').trigger('click');
    expect((w.find('textarea').element as HTMLTextAreaElement).value).toBe('我们超值价');
    vi.useRealTimers();
  });

  it('names the category of a violation in the user\'s language', async () => {
    vi.useFakeTimers();
    vi.mocked(complianceApi.checkCompliance).mockResolvedValueOnce({
      ok: false,
      violations: [{ category: 'custom', rule: 'shop_block', severity: 'block', start: 1, end: 5, match: '秘密渠道', suggestion: '本店设置的禁用词，请换一种说法', replacements: [] }],
    });
    const w = mount(Composer, { props: { shop: 's1', conversationId: 'c1' }, global });
    await w.find('textarea').setValue('走秘密渠道');
    await vi.advanceTimersByTimeAsync(350);
    await w.vm.$nextTick();
    expect(w.find('.compliance-list .cat').text()).toBe('本店禁用词');
    // A shop word without a replacement offers no one-click replace, only the advice.
    expect(w.find('[data-testid="suggestion"]').exists()).toBe(false);
    expect(w.find('.compliance-list .advice').text()).toBe('本店设置的禁用词，请换一种说法');
    vi.useRealTimers();
  });

  it('fills a quick reply for the conversation and holds the send while a variable is unfilled', async () => {
    const w = mount(Composer, {
      props: { shop: 's1', conversationId: 'c1' },
      global: { ...global, stubs: { RouterLink: { template: '<a><slot /></a>' } } },
      attachTo: document.body,
    });
    await w.find('[data-testid="quick-reply"]').trigger('click');
    await flushPromises();
    const items = w.findAll('.quick-item');
    expect(items.map((i) => i.find('.quick-title').text())).toEqual(['问候', '发货通知']);
    await w.find('[data-testid="quick-search"]').setValue('发货');
    expect(w.findAll('.quick-item').map((i) => i.find('.quick-title').text())).toEqual(['发货通知']);
    await w.find('[data-testid="quick-item-发货通知"]').trigger('click');
    await flushPromises();
    expect(templatesApi.renderTemplate).toHaveBeenCalledWith('t1', 'c1');
    const ta = w.find('textarea');
    expect((ta.element as HTMLTextAreaElement).value).toBe('小红，订单{订单号}已发出');
    expect(w.find('[data-testid="quick-panel"]').exists()).toBe(false);
    expect(w.find('[data-testid="unfilled"]').text()).toContain('订单号');
    expect(w.find('[data-testid="send"]').attributes('disabled')).toBeDefined();
    await ta.trigger('keydown', { key: 'Enter' });
    expect(w.emitted('send')).toBeUndefined();
    // Filled by hand: it may go.
    await ta.setValue('小红，订单240611-5823901已发出');
    expect(w.find('[data-testid="unfilled"]').exists()).toBe(false);
    await ta.trigger('keydown', { key: 'Enter' });
    expect(w.emitted('send')).toEqual([['小红，订单240611-5823901已发出']]);
    w.unmount();
  });
});
