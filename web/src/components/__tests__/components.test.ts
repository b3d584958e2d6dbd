import { mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { nextTick } from 'vue';
import { i18n } from '@/i18n';
import CountdownTag from '../CountdownTag.vue';
import ConnectionBanner from '../ConnectionBanner.vue';
import VirtualList from '../VirtualList.vue';

const global = { plugins: [i18n] };

describe('CountdownTag', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(Date.parse('2026-11-23T12:00:00Z'));
  });
  afterEach(() => vi.useRealTimers());

  it('counts down live and turns amber, then red, then overdue', async () => {
    const w = mount(CountdownTag, { props: { deadline: '2026-11-23T20:01:05+08:00' }, global });
    expect(w.text()).toBe('1:05');
    expect(w.attributes('data-level')).toBe('ok');
    await vi.advanceTimersByTimeAsync(6000);
    expect(w.text()).toBe('0:59');
    expect(w.attributes('data-level')).toBe('amber');
    await vi.advanceTimersByTimeAsync(30000);
    expect(w.attributes('data-level')).toBe('red');
    await vi.advanceTimersByTimeAsync(40000);
    expect(w.text()).toBe('已超时 0:11');
    w.unmount();
  });

  it('renders nothing without a deadline', () => {
    const w = mount(CountdownTag, { props: { deadline: null }, global });
    expect(w.find('[data-testid="countdown"]').exists()).toBe(false);
  });
});

describe('ConnectionBanner', () => {
  it('shows only after a working connection was lost', () => {
    expect(mount(ConnectionBanner, { props: { state: 'connecting', everOpened: false }, global }).text()).toBe('');
    expect(mount(ConnectionBanner, { props: { state: 'open', everOpened: true }, global }).text()).toBe('');
    expect(mount(ConnectionBanner, { props: { state: 'reconnecting', everOpened: true }, global }).text()).toContain('连接已断开');
  });
});

describe('VirtualList', () => {
  it('renders only the rows near the viewport out of 1,000', async () => {
    setActivePinia(createPinia());
    const items = Array.from({ length: 1000 }, (_, i) => ({ id: `m${i}`, text: `消息 ${i}` }));
    const w = mount(VirtualList, {
      props: { items, itemKey: (x: unknown) => (x as { id: string }).id, estimate: 50, overscan: 200 },
      slots: { default: `<template #default="{ item }"><p class="row">{{ item.text }}</p></template>` },
      global,
      attachTo: document.body,
    });
    await nextTick();
    const rows = w.findAll('.row');
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.length).toBeLessThan(60);
    expect((w.find('.vlist-inner').element as HTMLElement).style.height).toBe('50000px');
    w.unmount();
  });
});
