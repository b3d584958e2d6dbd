import { http } from './http';
import type { ReplyRate } from './types';

export const getReplyRate = (q: { shop?: string; date?: string; days?: number }) =>
  http.get<ReplyRate>('/api/v1/metrics/reply-rate', { query: q });
