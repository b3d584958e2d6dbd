import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('@/api/compliance', () => ({ checkCompliance: vi.fn(), listWords: vi.fn(), addWord: vi.fn(), deleteWord: vi.fn() }));
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
    const v = { category: 'absolute', rule: 'r', severity: 'warn' as const, start: 0, end: 2, match: '最好', suggestion: '改为“很好”', replacements: ['很好'] };
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

  it('keeps one shop\'s custom words: load, add (asking for that shop), delete', async () => {
    const w = (id: string, kind: 'block' | 'allow', word: string) => ({
      id, kind, word, suggestion: '', note: '', created_by: 'u1', created_by_name: '组长', created_at: '2026-06-12T10:00:00+08:00',
    });
    vi.mocked(api.listWords).mockResolvedValue({ shop: 's2', items: [w('cw_1', 'block', '秘密渠道')], max: 500 });
    vi.mocked(api.addWord).mockResolvedValue({ word: w('cw_2', 'allow', '旺旺牌'), lifts: [] });
    vi.mocked(api.deleteWord).mockResolvedValue(undefined);
    const s = useComplianceStore();
    await s.loadWords('s2');
    expect(s.wordsShop).toBe('s2');
    expect(s.wordsMax).toBe(500);
    const added = await s.addWord({ kind: 'allow', word: '旺旺牌' });
    expect(vi.mocked(api.addWord).mock.calls[0]).toEqual([{ kind: 'allow', word: '旺旺牌' }, 's2']);
    expect(added.word.id).toBe('cw_2');
    expect(s.words.map((x) => x.word)).toEqual(['秘密渠道', '旺旺牌']);
    await s.removeWord('cw_1');
    expect(vi.mocked(api.deleteWord).mock.calls[0]).toEqual(['cw_1', 's2']);
    expect(s.words.map((x) => x.id)).toEqual(['cw_2']);
  });

  it('keeps the words unchanged when the server refuses an addition', async () => {
    vi.mocked(api.listWords).mockResolvedValue({ shop: 's1', items: [], max: 500 });
    vi.mocked(api.addWord).mockRejectedValue(new ApiError(409, { error: 'already_exists', message: 'dup', field: 'word' }));
    const s = useComplianceStore();
    await s.loadWords();
    await expect(s.addWord({ kind: 'block', word: '秘密渠道' })).rejects.toMatchObject({ status: 409, field: 'word' });
    expect(s.words).toEqual([]);
  });
});
