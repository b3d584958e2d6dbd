import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('@/api/compliance', () => ({ checkCompliance: vi.fn() }));
import * as api from '@/api/compliance';
import { ApiError } from '@/api/http';
import { useComplianceStore } from '../compliance';

describe('compliance store', () => {
  beforeEach(() => {
    setActivePinia(createPinia());
    vi.useFakeTimers();
    vi.mocked(api.checkCompliance).mockReset();
  });
  afterEach(() => vi.useRealTimers());

  it('debounces checks while typing and keeps the last answer', async () => {
    const v = { category: 'absolute', rule: 'r', severity: 'warn' as const, start: 0, end: 2, match: '最好', suggestion: '很好' };
    vi.mocked(api.checkCompliance).mockResolvedValue({ ok: false, violations: [v] });
    const s = useComplianceStore();
    s.check('最', 's1');
    s.check('最好', 's1');
    s.check('最好的', 's1');
    await vi.advanceTimersByTimeAsync(299);
    expect(api.checkCompliance).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(api.checkCompliance).toHaveBeenCalledTimes(1);
    expect(vi.mocked(api.checkCompliance).mock.calls[0].slice(0, 2)).toEqual(['最好的', 's1']);
    expect(s.violations).toEqual([v]);
    expect(s.checkedText).toBe('最好的');
  });

  it('stops asking once the endpoint is missing (404)', async () => {
    vi.mocked(api.checkCompliance).mockRejectedValue(new ApiError(404, { error: 'not_found', message: 'no route' }));
    const s = useComplianceStore();
    await s.checkNow('你好');
    expect(s.available).toBe(false);
    await s.checkNow('你好呀');
    expect(api.checkCompliance).toHaveBeenCalledTimes(1);
    expect(s.violations).toEqual([]);
  });
});
