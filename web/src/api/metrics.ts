import { http } from './http';
import type { LiveWait, ReplyRate } from './types';

// `daily: 1` adds the one-day figures of each day of the period (for the 30-day chart).
export const getReplyRate = (q: { shop?: string; date?: string; days?: number; daily?: 0 | 1 }) =>
  http.get<ReplyRate>('/api/v1/metrics/reply-rate', { query: q });

export const getLiveMetrics = (q: { shop?: string }) =>
  http.get<{ shop?: string; items: LiveWait[] }>('/api/v1/metrics/live', { query: q });
