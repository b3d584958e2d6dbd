import { http } from './http';
import type { operations } from './schema.gen';
import type { Conversation, ConversationStatus, Message, Skill, Violation } from './types';

export interface Page<T> {
  items: T[];
  next: string | null;
}
export type ListQuery = NonNullable<operations['listConversations']['parameters']['query']>;

const base = '/api/v1/conversations';
const enc = encodeURIComponent;

export const listConversations = (q: ListQuery = {}) => http.get<Page<Conversation>>(base, { query: q });
export const getConversation = (id: string) => http.get<Conversation>(`${base}/${enc(id)}`);
export const listMessages = (id: string, q: { limit?: number; before?: string } = {}) =>
  http.get<Page<Message>>(`${base}/${enc(id)}/messages`, { query: q });
export const sendMessage = (id: string, text: string, clientMsgId: string) =>
  http.post<{ message: Message; warnings: Violation[] }>(`${base}/${enc(id)}/messages`, {
    text,
    client_msg_id: clientMsgId,
  });
export const acceptConversation = (id: string) => http.post<Conversation>(`${base}/${enc(id)}/accept`);
export const transferConversation = (id: string, body: { to_agent?: string; to_skill?: Skill; note?: string }) =>
  http.post<Conversation>(`${base}/${enc(id)}/transfer`, body);
export const closeConversation = (id: string) => http.post<Conversation>(`${base}/${enc(id)}/close`);
export const markRead = (id: string) => http.post<void>(`${base}/${enc(id)}/read`);
export type { ConversationStatus };
