import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('@/api/sim', () => ({ getSimConfig: vi.fn(), ingestMessage: vi.fn(), ingestHistory: vi.fn() }));
import * as api from '@/api/sim';
import { useSimStore } from '../sim';

describe('sim store', () => {
  beforeEach(() => setActivePinia(createPinia()));

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
