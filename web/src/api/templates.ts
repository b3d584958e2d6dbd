// Reply templates (话术): the shop's library and quick replies rendered for a conversation.
import { http, request } from './http';
import type { components, operations } from './schema.gen';

type S = components['schemas'];
export type ReplyTemplate = S['ReplyTemplate'];
export type ReplyTemplateInput = S['ReplyTemplateInput'];
export type ReplyTemplatePatch = S['ReplyTemplatePatch'];
export type TemplateScene = S['TemplateScene'];
export type TemplateVariable = S['TemplateVariable'];
export type TemplateSaved = S['TemplateSaved'];
export type RenderedTemplate = S['RenderedTemplate'];
export type TemplateList = operations['listTemplates']['responses']['200']['content']['application/json'];
export type TemplateQuery = NonNullable<operations['listTemplates']['parameters']['query']>;
export type VariableList = operations['listTemplateVariables']['responses']['200']['content']['application/json'];

const enc = encodeURIComponent;

export const listTemplates = (q: TemplateQuery = {}) => http.get<TemplateList>('/api/v1/templates', { query: q });
export const listTemplateVariables = () => http.get<VariableList>('/api/v1/templates/variables');
export const createTemplate = (body: ReplyTemplateInput, shop?: string) =>
  http.post<TemplateSaved>('/api/v1/templates', body, { query: { shop } });
export const updateTemplate = (id: string, body: ReplyTemplatePatch, shop?: string) =>
  http.put<TemplateSaved>(`/api/v1/templates/${enc(id)}`, body, { query: { shop } });
export const deleteTemplate = (id: string, shop?: string) =>
  request<void>('DELETE', `/api/v1/templates/${enc(id)}`, { query: { shop } });
export const renderTemplate = (id: string, conversationId: string, orderId?: string) =>
  http.post<RenderedTemplate>(`/api/v1/templates/${enc(id)}/render`, { conversation_id: conversationId, order_id: orderId });
