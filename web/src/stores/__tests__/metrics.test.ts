import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('@/api/metrics', () => ({ getReplyRate: vi.fn(), getLiveMetrics: vi.fn() }));
import * as api from '@/api/metrics';
import { ApiError } from '@/api/http';
import type { ReplyRate } from '@/api/types';
import { useMetricsStore } from '../metrics';

const day = (date: string, rate: number | null): ReplyRate => ({
  shop: 's1', platform: 'pdd', date, days: 1, consulting_buyers: rate === null ? 0 : 4, invalid_buyers: 0,
  assessed: false, effective_reply_rate: rate, answered: {}, rates: { '3m_human': rate, '60m': rate },
});

describe('metrics store', () => {
  beforeEach(() => {
    setActivePinia(createPinia());
    vi.mocked(api.getReplyRate).mockReset();
    vi.mocked(api.getLiveMetrics).mockReset();
  });

  it('asks for the days one by one for the history and keeps today apart', async () => {
    const history = { ...day('2026-03-05', 0.5), days: 2, daily: [day('2026-03-04', null), day('2026-03-05', 0.5)] };
    vi.mocked(api.getReplyRate).mockImplementation(async (q) => (q.daily ? history : day('2026-03-05', 0.5)));
    const s = useMetricsStore();
    await Promise.all([s.loadReplyRate('s1'), s.loadHistory('s1', 2)]);
    expect(api.getReplyRate).toHaveBeenCalledWith({ shop: 's1', days: 2, daily: 1 });
    expect(s.history?.daily?.map((d) => d.effective_reply_rate)).toEqual([null, 0.5]);
    expect(s.replyRate?.days).toBe(1);
  });

  it('keeps the waiting buyers and says when the server has no reply-rate API', async () => {
    const wait = { conversation_id: 'c1', buyer: 'b1', agent: null, waiting_since: '2026-03-05T10:00:00+08:00', deadlines: { '3m_human': '2026-03-05T10:03:00+08:00' } };
    vi.mocked(api.getLiveMetrics).mockResolvedValueOnce({ items: [wait] });
    const s = useMetricsStore();
    await s.loadLive('s1');
    expect(s.waiting).toEqual([wait]);
    vi.mocked(api.getLiveMetrics).mockRejectedValueOnce(new ApiError(404, { error: 'not_found', message: 'not built' }));
    await s.loadLive('s1');
    expect(s.waiting).toEqual([]);
    expect(s.available).toBe(false);
  });
});
