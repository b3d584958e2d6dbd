import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('@/api/sim', () => ({ getSimConfig: vi.fn(), ingestMessage: vi.fn(), ingestHistory: vi.fn() }));
// A socket the test opens and feeds by hand.
const sockets: { opts: SocketOptions; stopped: boolean }[] = [];
vi.mock('@/api/ws', () => ({
  ReconnectingSocket: class {
    rec: { opts: SocketOptions; stopped: boolean };
    constructor(opts: SocketOptions) {
      this.rec = { opts, stopped: false };
      sockets.push(this.rec);
    }
    start() { this.rec.opts.onState?.('connecting', 0); }
    stop() { this.rec.stopped = true; this.rec.opts.onState?.('closed', 0); }
  },
}));
import * as api from '@/api/sim';
import type { SocketOptions } from '@/api/ws';
import type { Message } from '@/api/types';
import { useSimStore } from '../sim';

describe('sim store', () => {
  beforeEach(() => {
    setActivePinia(createPinia());
    sockets.length = 0;
    vi.mocked(api.ingestHistory).mockReset();
  });

  const shops = { shops: [{ id: 's1', name: '演示店', platform: 'pdd' as const, ingest_key: 'K', buyers: ['buyer-1'] }] };
  const message = (id: string, seq: number, from: Message['from'], text: string): Message => ({
    id, conversation_id: 'c1', shop: 's1', buyer: 'b', from, agent: null, text, ts: '2026-11-23T20:00:00+08:00',
    client_msg_id: null, order_id: null, seq,
  });

  it('keeps the socket when the shown buyer is selected again, and reads the history once it is open', async () => {
    vi.mocked(api.getSimConfig).mockResolvedValue(shops);
    vi.mocked(api.ingestHistory).mockResolvedValue({ items: [message('m1', 1, 'buyer', '在吗')] });
    const s = useSimStore();
    await s.loadConfig();
    await s.select('s1', 'b');
    expect(sockets).toHaveLength(1);
    // Not open yet: no history read (it could miss what is committed before the socket listens).
    expect(api.ingestHistory).not.toHaveBeenCalled();
    sockets[0].opts.onState?.('open', 0);
    await vi.waitFor(() => expect(s.messages.map((m) => m.id)).toEqual(['m1']));
    expect(s.state).toBe('open');
    // The buyer field fires `change` again on blur: same buyer, same socket, nothing lost.
    await s.select('s1', ' b ');
    expect(sockets).toHaveLength(1);
    expect(sockets[0].stopped).toBe(false);
    sockets[0].opts.onFrame({ id: '9', type: 'message.created', data: { message: message('m2', 2, 'auto', '请选择您要办理的业务\n【催发货】') } });
    expect(s.messages.map((m) => m.id)).toEqual(['m1', 'm2']);
    // A reconnect reads the history again; duplicates are dropped.
    vi.mocked(api.ingestHistory).mockResolvedValue({ items: [message('m1', 1, 'buyer', '在吗'), message('m2', 2, 'auto', 'x'), message('m3', 3, 'robot', '好的')] });
    sockets[0].opts.onResume?.();
    await vi.waitFor(() => expect(s.messages.map((m) => m.id)).toEqual(['m1', 'm2', 'm3']));
  });

  it('switching buyers stops the old socket and ignores its late frames', async () => {
    vi.mocked(api.getSimConfig).mockResolvedValue(shops);
    vi.mocked(api.ingestHistory).mockResolvedValue({ items: [] });
    const s = useSimStore();
    await s.loadConfig();
    await s.select('s1', 'a');
    await s.select('s1', 'b');
    expect(sockets).toHaveLength(2);
    expect(sockets[0].stopped).toBe(true);
    sockets[0].opts.onFrame({ id: '3', type: 'message.created', data: { message: message('m9', 1, 'auto', 'for a') } });
    expect(s.messages).toHaveLength(0);
    expect(s.state).toBe('connecting');
  });

  it('sends an order card with order_id through the shop ingest key', async () => {
    vi.mocked(api.getSimConfig).mockResolvedValue({ shops: [{ id: 's1', name: '演示店', platform: 'pdd', ingest_key: 'K', buyers: ['buyer-1'] }] });
    const s = useSimStore();
    await s.loadConfig();
    expect(s.shopId).toBe('s1');
    expect(s.buyer).toBe('buyer-1');
    vi.mocked(api.ingestMessage).mockImplementation(async (_k, body) => ({
      message: { id: 'm1', conversation_id: 'c1', shop: 's1', buyer: body.buyer, from: 'buyer', agent: null, text: body.text,
        ts: '2026-11-23T20:00:00+08:00', client_msg_id: body.client_msg_id ?? null, order_id: body.order_id ?? null, seq: 1 },
    }));
    await s.sendOrderCard();
    const [key, body] = vi.mocked(api.ingestMessage).mock.calls[0];
    expect(key).toBe('K');
    expect(body.order_id).toMatch(/^\d{6}-\d{12}$/);
    expect(body.text).toBe(`[订单卡片] 订单号 ${body.order_id}`);
    expect(s.messages).toHaveLength(1);
    expect(s.messages[0].state).toBeUndefined();
  });
});
