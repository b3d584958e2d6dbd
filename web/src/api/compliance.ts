import { http } from './http';
import type { Violation } from './types';

export const checkCompliance = (text: string, shop?: string, signal?: AbortSignal) =>
  http.post<{ ok: boolean; violations: Violation[] }>('/api/v1/compliance/check', { text, shop }, { signal });
