import { describe, expect, it } from 'vitest';
import type { Violation } from '@/api/types';
import { countdownLevel, formatCountdown, formatWait, secondsLeft } from '../countdown';
import { applyReplacement, segmentByViolations } from '../text';

const v = (start: number, end: number, match: string, suggestion = 'X', severity: 'block' | 'warn' = 'block'): Violation => ({
  category: 'absolute', rule: 'r', severity, start, end, match, suggestion, replacements: [],
});

describe('countdown', () => {
  it('counts seconds to an RFC 3339 deadline with an offset', () => {
    const now = Date.parse('2026-11-23T12:00:00Z');
    expect(secondsLeft('2026-11-23T20:03:00.500+08:00', now)).toBe(180);
    expect(secondsLeft('2026-11-23T19:59:50+08:00', now)).toBe(-10);
    expect(secondsLeft(null, now)).toBeNull();
    expect(secondsLeft('garbage', now)).toBeNull();
  });
  it('turns amber then red', () => {
    expect(countdownLevel(179)).toBe('ok');
    expect(countdownLevel(61)).toBe('ok');
    expect(countdownLevel(60)).toBe('amber');
    expect(countdownLevel(31)).toBe('amber');
    expect(countdownLevel(30)).toBe('red');
    expect(countdownLevel(-5)).toBe('red');
  });
  it('formats', () => {
    expect(formatCountdown(125)).toBe('2:05');
    expect(formatCountdown(-12)).toBe('-0:12');
    expect(formatWait(null)).toBe('—');
    expect(formatWait(75)).toBe('1:15');
    expect(formatWait(3 * 3600 + 60)).toBe('3h01m');
  });
});

describe('violations', () => {
  it('split text at code points, not UTF-16 units', () => {
    const text = '😀全网最低价哦';
    const segs = segmentByViolations(text, [v(1, 5, '全网最低')]);
    expect(segs.map((s) => s.text)).toEqual(['😀', '全网最低', '价哦']);
    expect(segs[1].violation?.match).toBe('全网最低');
  });
  it('ignore overlapping and out-of-range ranges', () => {
    const segs = segmentByViolations('abcdef', [v(0, 3, 'abc'), v(2, 4, 'cd'), v(10, 12, 'zz')]);
    expect(segs.map((s) => s.text)).toEqual(['abc', 'def']);
  });
  it('apply a replacement in place', () => {
    expect(applyReplacement('😀全网最低价哦', v(1, 5, '全网最低', '改为“超值”'), '超值')).toBe('😀超值价哦');
    // Text edited since the check: replace the first occurrence instead.
    expect(applyReplacement('好的，全网最低', v(0, 4, '全网最低'), '超值')).toBe('好的，超值');
    expect(applyReplacement('已改掉了', v(0, 4, '全网最低'), '超值')).toBe('已改掉了');
  });
});
