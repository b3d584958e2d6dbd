// Short names for the generated OpenAPI types (schema.gen.ts is generated; never edit it).
import type { components } from './schema.gen';

type S = components['schemas'];
export type User = S['User'];
export type Shop = S['Shop'];
export type Role = S['Role'];
export type Presence = S['Presence'];
export type Skill = S['Skill'];
export type Conversation = S['Conversation'];
export type ConversationStatus = S['ConversationStatus'];
export type Message = S['Message'];
export type Violation = S['Violation'];
export type TeamBoard = S['TeamBoard'];
export type BoardAgent = S['BoardAgent'];
export type ReplyRate = S['ReplyRate'];
export type LiveWait = S['LiveWait'];
export type SimConfig = S['SimConfig'];
export type SimShop = S['SimShop'];
export type LoginResponse = S['LoginResponse'];
export type ApiErrorBody = S['Error'];
export type WsEvent = S['WsEvent'];
export type MessageCreatedData = S['MessageCreatedData'];
export type ConversationUpdatedData = S['ConversationUpdatedData'];
export type PresenceUpdatedData = S['PresenceUpdatedData'];
export type SlaWarningData = S['SlaWarningData'];
export type HelloData = S['HelloData'];
export type BuyerWsEvent = S['BuyerWsEvent'];
