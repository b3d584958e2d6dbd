// Reply-deadline countdown: the platforms assess the first reply within 3 minutes, so the
// colour turns amber with 60 s left and red with 30 s left or once overdue.
export type CountdownLevel = 'ok' | 'amber' | 'red';

export const AMBER_SECONDS = 60;
export const RED_SECONDS = 30;

export function secondsLeft(deadline: string | null | undefined, nowMs: number): number | null {
  if (!deadline) return null;
  const t = Date.parse(deadline);
  if (Number.isNaN(t)) return null;
  return Math.floor((t - nowMs) / 1000);
}

export function countdownLevel(left: number): CountdownLevel {
  if (left <= RED_SECONDS) return 'red';
  if (left <= AMBER_SECONDS) return 'amber';
  return 'ok';
}

// "2:05" before the deadline, "-0:12" after it.
export function formatCountdown(left: number): string {
  const sign = left < 0 ? '-' : '';
  const s = Math.abs(left);
  return `${sign}${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

export function formatWait(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '—';
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  return m >= 60 ? `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m` : `${m}:${String(s).padStart(2, '0')}`;
}
