import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('@/api/auth', () => ({ login: vi.fn(), logout: vi.fn(), getMe: vi.fn(), setPresence: vi.fn() }));
import * as api from '@/api/auth';
import { useAuthStore } from '../auth';

const user = { id: 'u1', username: 'demo-agent1', display_name: '小美', role: 'agent' as const, skills: [], shops: [], presence: 'online' as const, max_concurrent: 8 };

describe('auth store', () => {
  beforeEach(() => {
    localStorage.clear();
    setActivePinia(createPinia());
  });

  it('logs in, survives a reload, and logs out even when the server call fails', async () => {
    vi.mocked(api.login).mockResolvedValue({ token: 'T', expires_at: '2099-01-01T00:00:00+08:00', user });
    await useAuthStore().login('demo-agent1', 'kefu-demo');
    setActivePinia(createPinia()); // a reload
    const a = useAuthStore();
    expect(a.loggedIn).toBe(true);
    expect(a.role).toBe('agent');
    vi.mocked(api.logout).mockRejectedValue(new Error('offline'));
    await a.logout();
    expect(a.loggedIn).toBe(false);
    expect(localStorage.getItem('kefu.session')).toBeNull();
  });

  it('drops an expired saved session and records why a session ended', () => {
    localStorage.setItem('kefu.session', JSON.stringify({ token: 'T', expires_at: '2000-01-01T00:00:00Z', user }));
    const a = useAuthStore();
    expect(a.loggedIn).toBe(false);
    a.token = 'T2';
    a.user = user;
    a.expiresAt = '2000-01-01T00:00:00Z';
    expect(a.isExpired()).toBe(true);
    a.clear('expired');
    expect(a.endReason).toBe('expired');
  });
});
