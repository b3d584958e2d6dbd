import type { Violation } from '@/api/types';

export interface Segment {
  text: string;
  violation?: Violation;
}

// Splits text at the violations' code-point ranges (the server counts code points, not UTF-16
// units), so a template can render each part as plain text, marked or not. Never builds HTML.
export function segmentByViolations(text: string, violations: Violation[]): Segment[] {
  const cps = Array.from(text);
  const sorted = [...violations]
    .filter((v) => v.end > v.start && v.start >= 0 && v.start < cps.length)
    .sort((a, b) => a.start - b.start);
  const out: Segment[] = [];
  let pos = 0;
  for (const v of sorted) {
    if (v.start < pos) continue; // overlapping: keep the first
    if (v.start > pos) out.push({ text: cps.slice(pos, v.start).join('') });
    const end = Math.min(v.end, cps.length);
    out.push({ text: cps.slice(v.start, end).join(''), violation: v });
    pos = end;
  }
  if (pos < cps.length) out.push({ text: cps.slice(pos).join('') });
  return out;
}

// Replaces one violation's range with one of its replacements (code points again).
export function applyReplacement(text: string, v: Violation, replacement: string): string {
  const cps = Array.from(text);
  const current = cps.slice(v.start, v.end).join('');
  if (current !== v.match && v.match) {
    // The text changed since the check; fall back to replacing the first occurrence.
    return text.includes(v.match) ? text.replace(v.match, replacement) : text;
  }
  return cps.slice(0, v.start).join('') + replacement + cps.slice(v.end).join('');
}

export function formatTime(ts: string | null | undefined, locale: string): string {
  if (!ts) return '';
  const d = new Date(ts);
  if (Number.isNaN(d.getTime())) return '';
  const today = new Date();
  const sameDay = d.toDateString() === today.toDateString();
  return sameDay
    ? d.toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false })
    : d.toLocaleString(locale, { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false });
}
