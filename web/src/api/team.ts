import { http } from './http';
import type { Shop, TeamBoard } from './types';

export const getTeamBoard = (shop?: string) => http.get<TeamBoard>('/api/v1/team/board', { query: { shop } });
export const listShops = () => http.get<{ items: Shop[] }>('/api/v1/shops');
