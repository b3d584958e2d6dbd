import { http } from './http';
import type { LoginResponse, Presence, User } from './types';

export const login = (username: string, password: string) =>
  http.post<LoginResponse>('/api/v1/auth/login', { username, password }, { auth: false });
export const logout = () => http.post<void>('/api/v1/auth/logout');
export const getMe = () => http.get<User>('/api/v1/me');
export const setPresence = (status: Presence) => http.put<User>('/api/v1/me/presence', { status });
