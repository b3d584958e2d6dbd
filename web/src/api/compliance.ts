// The compliance guard: the check while typing, and a shop's custom words (店铺自定义词).
import { http, request } from './http';
import type { components, operations } from './schema.gen';

type S = components['schemas'];
export type CheckResult = operations['checkCompliance']['responses']['200']['content']['application/json'];
export type CustomWord = S['CustomWord'];
export type CustomWordInput = S['CustomWordInput'];
export type WordKind = S['WordKind'];
export type WordList = operations['listComplianceWords']['responses']['200']['content']['application/json'];
export type WordAdded = operations['addComplianceWord']['responses']['201']['content']['application/json'];

const enc = encodeURIComponent;

export const checkCompliance = (text: string, shop?: string, signal?: AbortSignal) =>
  http.post<CheckResult>('/api/v1/compliance/check', { text, shop }, { signal });
export const listWords = (shop?: string) => http.get<WordList>('/api/v1/compliance/words', { query: { shop } });
export const addWord = (body: CustomWordInput, shop?: string) =>
  http.post<WordAdded>('/api/v1/compliance/words', body, { query: { shop } });
export const deleteWord = (id: string, shop?: string) =>
  request<void>('DELETE', `/api/v1/compliance/words/${enc(id)}`, { query: { shop } });
