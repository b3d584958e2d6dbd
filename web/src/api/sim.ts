// Buyer side: the simulator talks to the ingest API with a shop's ingest key, as a platform
// bridge would. No user token is sent and a 401 here never logs the agent out.
import { http } from './http';
import type { Message, SimConfig } from './types';

export const getSimConfig = () => http.get<SimConfig>('/api/v1/sim/config', { auth: false });
export const ingestMessage = (
  key: string,
  body: { buyer: string; text: string; client_msg_id?: string; order_id?: string },
) => http.post<{ message: Message }>('/api/v1/ingest/messages', body, { auth: false, headers: { 'X-Kefu-Key': key } });
export const ingestHistory = (key: string, buyer: string, limit = 50) =>
  http.get<{ items: Message[] }>('/api/v1/ingest/history', {
    auth: false,
    query: { buyer, limit },
    headers: { 'X-Kefu-Key': key },
  });
