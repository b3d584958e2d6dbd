import { mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { i18n } from '@/i18n';
import type { ChatMessage } from '@/stores/conversations';

vi.mock('@/api/compliance', () => ({
  checkCompliance: vi.fn(async () => ({
    ok: false,
    violations: [{ category: '极限词', rule: 'absolute', severity: 'block', start: 2, end: 6, match: '全网最低', suggestion: '超值' }],
  })),
}));

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
});
