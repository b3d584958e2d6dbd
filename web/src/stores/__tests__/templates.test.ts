import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('@/api/templates', () => ({
  listTemplates: vi.fn(),
  listTemplateVariables: vi.fn(),
  createTemplate: vi.fn(),
  updateTemplate: vi.fn(),
  deleteTemplate: vi.fn(),
  renderTemplate: vi.fn(),
}));
vi.mock('@/api/team', () => ({ listShops: vi.fn() }));
import * as api from '@/api/templates';
import type { ReplyTemplate } from '@/api/templates';
import { listShops } from '@/api/team';
import { useTemplatesStore } from '../templates';

const tpl = (id: string, title: string): ReplyTemplate => ({
  id, shop: 's1', scene: 'general', title, text: '亲，{订单号}', variables: ['订单号'],
  updated_by: 'u', updated_by_name: 'u', created_at: '', updated_at: '',
});

describe('templates store', () => {
  beforeEach(() => {
    setActivePinia(createPinia());
    for (const f of Object.values(api)) vi.mocked(f).mockReset();
    vi.mocked(listShops).mockResolvedValue({ items: [{ id: 's1', name: '店', platform: 'pdd' } as never] });
  });

  it('loads the variables once, even when asked twice at the same time', async () => {
    vi.mocked(api.listTemplateVariables).mockResolvedValue({
      items: [{ name: '订单号', key: 'order_id', description: 'd', example: '1' }], scenes: ['general', 'presale'],
    });
    const s = useTemplatesStore();
    await Promise.all([s.loadVariables(), s.loadVariables()]);
    await s.loadVariables();
    expect(api.listTemplateVariables).toHaveBeenCalledTimes(1);
    expect(s.variableNames).toEqual(['订单号']);
    expect(s.scenes).toEqual(['general', 'presale']);
  });

  it('saves into the chosen shop and reloads the library', async () => {
    vi.mocked(api.listTemplates).mockResolvedValue({ shop: 's1', items: [tpl('t1', '发货')] });
    vi.mocked(api.createTemplate).mockResolvedValue({ template: tpl('t1', '发货'), warnings: [] });
    vi.mocked(api.updateTemplate).mockResolvedValue({ template: tpl('t1', '发货2'), warnings: [] });
    const s = useTemplatesStore();
    await s.loadShops();
    await s.save({ title: '发货', text: '亲，{订单号}', scene: 'general' });
    expect(vi.mocked(api.createTemplate).mock.calls[0][1]).toBe('s1');
    await s.save({ title: '发货2', text: '亲，{订单号}' }, 't1');
    expect(vi.mocked(api.updateTemplate).mock.calls[0].slice(0, 1)).toEqual(['t1']);
    expect(api.listTemplates).toHaveBeenCalledTimes(2);
    expect(s.items.map((t) => t.id)).toEqual(['t1']);
    expect(s.quick.s1.map((t) => t.id)).toEqual(['t1']);
  });

  it('fetches quick replies of the conversation\'s shop each time and renders for the conversation', async () => {
    vi.mocked(api.listTemplates)
      .mockResolvedValueOnce({ shop: 's9', items: [tpl('a', 'A')] })
      .mockResolvedValueOnce({ shop: 's9', items: [tpl('a', 'A'), tpl('b', 'B')] });
    vi.mocked(api.renderTemplate).mockResolvedValue({
      template_id: 'b', conversation_id: 'c1', order_id: null, text: '亲，{订单号}', missing: ['订单号'], ok: true, violations: [],
    });
    const s = useTemplatesStore();
    expect((await s.quickReplies('s9')).map((t) => t.id)).toEqual(['a']);
    expect((await s.quickReplies('s9')).map((t) => t.id)).toEqual(['a', 'b']);
    expect(vi.mocked(api.listTemplates).mock.calls[1][0]).toEqual({ shop: 's9' });
    const r = await s.render('b', 'c1');
    expect(api.renderTemplate).toHaveBeenCalledWith('b', 'c1');
    expect(r.missing).toEqual(['订单号']);
  });

  it('drops a deleted template from the library and the quick replies', async () => {
    vi.mocked(api.listTemplates).mockResolvedValue({ shop: 's1', items: [tpl('a', 'A'), tpl('b', 'B')] });
    vi.mocked(api.deleteTemplate).mockResolvedValue(undefined);
    const s = useTemplatesStore();
    await s.loadShops();
    await s.load();
    await s.remove('a');
    expect(api.deleteTemplate).toHaveBeenCalledWith('a', 's1');
    expect(s.items.map((t) => t.id)).toEqual(['b']);
    expect(s.quick.s1.map((t) => t.id)).toEqual(['b']);
  });
});
