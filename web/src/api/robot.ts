// The FAQ robot: knowledge base, settings, the test box and the learning loop.
import { request, http } from './http';
import type { components, operations } from './schema.gen';

type S = components['schemas'];
export type Faq = S['Faq'];
export type FaqInput = S['FaqInput'];
export type FaqPage = S['FaqPage'];
export type RobotSettings = S['RobotSettings'];
export type RobotSettingsInput = S['RobotSettingsInput'];
export type RobotAnswer = S['RobotAnswer'];
export type FaqSuggestion = S['FaqSuggestion'];
export type FaqQuery = NonNullable<operations['listFaq']['parameters']['query']>;
export type SuggestionsPage = operations['listFaqSuggestions']['responses']['200']['content']['application/json'];
export type ImportResult = operations['importFaq']['responses']['200']['content']['application/json'];
export type ExportFile = operations['exportFaq']['responses']['200']['content']['application/json'];
export type KbFormat = 'jsonl' | 'csv';

const enc = encodeURIComponent;

export const listFaq = (q: FaqQuery = {}) => http.get<FaqPage>('/api/v1/faq', { query: q });
export const getFaq = (id: string, shop?: string) => http.get<Faq>(`/api/v1/faq/${enc(id)}`, { query: { shop } });
export const createFaq = (body: FaqInput, shop?: string) => http.post<Faq>('/api/v1/faq', body, { query: { shop } });
export const updateFaq = (id: string, body: FaqInput, shop?: string) =>
  http.put<Faq>(`/api/v1/faq/${enc(id)}`, body, { query: { shop } });
export const deleteFaq = (id: string, shop?: string) =>
  request<void>('DELETE', `/api/v1/faq/${enc(id)}`, { query: { shop } });
export const importFaq = (content: string, format: KbFormat, mode: 'merge' | 'replace', shop?: string) =>
  http.post<ImportResult>('/api/v1/faq/import', { content, format, mode }, { query: { shop } });
export const exportFaq = (format: KbFormat, shop?: string) =>
  http.get<ExportFile>('/api/v1/faq/export', { query: { format, shop, wrap: 'json' } });
export const getRobotSettings = (shop?: string) => http.get<RobotSettings>('/api/v1/robot/settings', { query: { shop } });
export const putRobotSettings = (body: RobotSettingsInput, shop?: string) =>
  http.put<RobotSettings>('/api/v1/robot/settings', body, { query: { shop } });
export const askRobot = (text: string, shop?: string) => http.post<RobotAnswer>('/api/v1/robot/ask', { text, shop });
export const listSuggestions = (q: { shop?: string; date?: string; days?: number; min_count?: number } = {}) =>
  http.get<SuggestionsPage>('/api/v1/robot/suggestions', { query: q });
export const acceptSuggestion = (body: FaqInput, shop?: string) =>
  http.post<Faq>('/api/v1/robot/suggestions/accept', body, { query: { shop } });
