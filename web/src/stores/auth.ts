import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import * as api from '@/api/auth';
import type { Presence, User } from '@/api/types';

const KEY = 'kefu.session';

interface Session {
  token: string;
  expires_at: string | null;
  user: User;
}

function load(): Session | null {
  try {
    const s = JSON.parse(localStorage.getItem(KEY) ?? 'null') as Session | null;
    if (!s || !s.token || !s.user) return null;
    if (s.expires_at && Date.parse(s.expires_at) <= Date.now()) return null;
    return s;
  } catch {
    return null;
  }
}

// The signed-in user and their session token (kept in localStorage so a reload stays signed in).
export const useAuthStore = defineStore('auth', () => {
  const saved = load();
  const token = ref<string | null>(saved?.token ?? null);
  const user = ref<User | null>(saved?.user ?? null);
  const expiresAt = ref<string | null>(saved?.expires_at ?? null);
  // Why the last session ended, for the login page: 'expired' or null.
  const endReason = ref<'expired' | null>(null);

  const loggedIn = computed(() => !!token.value && !!user.value);
  const role = computed(() => user.value?.role ?? null);
  const isLead = computed(() => role.value === 'lead' || role.value === 'owner');

  function persist() {
    if (token.value && user.value) {
      localStorage.setItem(KEY, JSON.stringify({ token: token.value, expires_at: expiresAt.value, user: user.value }));
    } else {
      localStorage.removeItem(KEY);
    }
  }

  async function login(username: string, password: string) {
    const res = await api.login(username, password);
    token.value = res.token;
    user.value = res.user;
    expiresAt.value = res.expires_at ?? null;
    endReason.value = null;
    persist();
    return res.user;
  }

  // Ends the session locally (no server call): used on 401 and on expiry.
  function clear(reason: 'expired' | null = null) {
    token.value = null;
    user.value = null;
    expiresAt.value = null;
    endReason.value = reason;
    persist();
  }

  async function logout() {
    try {
      if (token.value) await api.logout();
    } catch {
      // The session is dropped locally whatever the server says.
    } finally {
      clear();
    }
  }

  function isExpired(nowMs = Date.now()): boolean {
    return !!expiresAt.value && Date.parse(expiresAt.value) <= nowMs;
  }

  async function refreshMe() {
    const me = await api.getMe();
    user.value = me;
    persist();
  }

  async function setPresence(p: Presence) {
    const me = await api.setPresence(p);
    user.value = me;
    persist();
  }

  function applyUser(u: User) {
    if (user.value && u.id === user.value.id) {
      user.value = u;
      persist();
    }
  }

  return {
    token, user, expiresAt, endReason, loggedIn, role, isLead,
    login, logout, clear, isExpired, refreshMe, setPresence, applyUser,
  };
});
