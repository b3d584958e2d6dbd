import { defineStore } from 'pinia';
import { computed, reactive, ref } from 'vue';
import * as api from '@/api/conversations';
import { ApiError } from '@/api/http';
import type { Conversation, ConversationStatus, Message, Skill, Violation } from '@/api/types';
import { newClientMsgId } from '@/utils/id';
import { useAuthStore } from './auth';

// A message on screen. Local (unacknowledged) messages have id "local:<client_msg_id>" and a
// state; a message counts as sent only once the server answered 201.
export interface ChatMessage extends Message {
  state?: 'sending' | 'failed';
  error?: string;
  violations?: Violation[];
}

export interface Thread {
  items: ChatMessage[];
  next: string | null;
  loaded: boolean;
  loadingOlder: boolean;
  warnings: Violation[];
}

const PAGE = 50;

function byUpdatedDesc(a: Conversation, b: Conversation) {
  return Date.parse(b.updated_at) - Date.parse(a.updated_at);
}
function byWaitAsc(a: Conversation, b: Conversation) {
  return Date.parse(a.waiting_since ?? a.updated_at) - Date.parse(b.waiting_since ?? b.updated_at);
}

// Conversations of the signed-in user, their message threads and the actions on them.
export const useConversationsStore = defineStore('conversations', () => {
  const byId = reactive(new Map<string, Conversation>());
  const threads = reactive(new Map<string, Thread>());
  const activeId = ref<string | null>(null);
  const loading = ref(false);
  const searchResults = ref<Conversation[]>([]);
  const searching = ref(false);

  const me = () => useAuthStore().user?.id ?? null;

  const all = computed(() => [...byId.values()]);
  const mine = computed(() => all.value.filter((c) => c.status === 'open' && c.agent === me()).sort(byUpdatedDesc));
  const waiting = computed(() => all.value.filter((c) => c.status === 'waiting').sort(byWaitAsc));
  // Leads see the team's open conversations too.
  const others = computed(() => all.value.filter((c) => c.status === 'open' && c.agent !== me()).sort(byUpdatedDesc));
  const active = computed(() => (activeId.value ? byId.get(activeId.value) ?? null : null));
  const activeThread = computed(() => (activeId.value ? threads.get(activeId.value) ?? null : null));
  const unreadTotal = computed(() => mine.value.reduce((n, c) => n + (c.unread || 0), 0));

  function upsert(c: Conversation) {
    const old = byId.get(c.id);
    // Events can arrive out of order with HTTP replies; keep the newest.
    if (old && Date.parse(old.updated_at) > Date.parse(c.updated_at)) return;
    byId.set(c.id, c);
  }

  function thread(id: string): Thread {
    let t = threads.get(id);
    if (!t) {
      t = { items: [], next: null, loaded: false, loadingOlder: false, warnings: [] };
      threads.set(id, t);
      t = threads.get(id)!;
    }
    return t;
  }

  // Inserts server messages into a thread, in seq order, without duplicates. A local message
  // with the same client_msg_id that is still waiting for its 201 stays as it is.
  function merge(id: string, msgs: Message[]) {
    const t = thread(id);
    const ids = new Set(t.items.map((m) => m.id));
    const pending = new Set(t.items.filter((m) => m.state).map((m) => m.client_msg_id));
    let appended = false;
    for (const m of msgs) {
      if (ids.has(m.id)) continue;
      if (m.client_msg_id && pending.has(m.client_msg_id)) continue;
      ids.add(m.id);
      t.items.push(m);
      appended = true;
    }
    if (appended) {
      t.items.sort((a, b) => {
        if (!!a.state !== !!b.state) return a.state ? 1 : -1; // local ones last
        return a.seq - b.seq || Date.parse(a.ts) - Date.parse(b.ts);
      });
    }
  }

  async function loadLists() {
    loading.value = true;
    try {
      const auth = useAuthStore();
      const [open, wait] = await Promise.all([
        api.listConversations({ status: 'open', mine: auth.isLead ? undefined : 1, limit: 100 }),
        api.listConversations({ status: 'waiting', limit: 100 }),
      ]);
      // Drop conversations that left our lists while we were away (closed, transferred).
      const keep = new Set([...open.items, ...wait.items].map((c) => c.id));
      for (const id of [...byId.keys()]) if (!keep.has(id) && id !== activeId.value) byId.delete(id);
      for (const c of [...open.items, ...wait.items]) upsert(c);
    } finally {
      loading.value = false;
    }
  }

  async function loadLatest(id: string) {
    const page = await api.listMessages(id, { limit: PAGE });
    const t = thread(id);
    if (!t.loaded) t.next = page.next;
    t.loaded = true;
    merge(id, page.items);
  }

  async function open(id: string | null) {
    activeId.value = id;
    if (!id) return;
    if (!byId.has(id)) upsert(await api.getConversation(id));
    if (!thread(id).loaded) await loadLatest(id);
    await markRead(id);
  }

  async function loadOlder(id: string): Promise<number> {
    const t = thread(id);
    if (!t.next || t.loadingOlder) return 0;
    t.loadingOlder = true;
    try {
      const page = await api.listMessages(id, { limit: PAGE, before: t.next });
      t.next = page.next;
      const before = t.items.length;
      merge(id, page.items);
      return t.items.length - before;
    } finally {
      t.loadingOlder = false;
    }
  }

  async function markRead(id: string) {
    const c = byId.get(id);
    if (!c || !c.unread) return;
    byId.set(id, { ...c, unread: 0 });
    try {
      await api.markRead(id);
    } catch {
      // Unread counts are advisory; the next list refresh corrects them.
    }
  }

  async function deliver(id: string, local: ChatMessage) {
    const t = thread(id);
    const find = () => t.items.findIndex((m) => m.id === local.id);
    try {
      const res = await api.sendMessage(id, local.text, local.client_msg_id!);
      const i = find();
      const dup = t.items.findIndex((m) => m.id === res.message.id);
      if (dup >= 0 && dup !== i) t.items.splice(dup, 1);
      const j = find();
      if (j >= 0) t.items.splice(j, 1);
      merge(id, [res.message]);
      t.warnings = res.warnings ?? [];
    } catch (e) {
      const i = find();
      if (i >= 0) {
        const err = e instanceof ApiError ? e : new ApiError(0, { error: 'network', message: String(e) });
        t.items[i] = { ...t.items[i], state: 'failed', error: err.code, violations: err.violations };
      }
      throw e;
    }
  }

  // Sends a reply; it shows as "sending" until the 201, then as sent. Throws on failure (the
  // message stays in the thread as failed and can be retried).
  async function send(id: string, text: string) {
    const c = byId.get(id);
    const cid = newClientMsgId();
    const local: ChatMessage = {
      id: `local:${cid}`,
      conversation_id: id,
      shop: c?.shop ?? '',
      buyer: c?.buyer ?? '',
      from: 'agent',
      agent: me(),
      text,
      ts: new Date().toISOString(),
      client_msg_id: cid,
      order_id: null,
      seq: Number.MAX_SAFE_INTEGER,
      state: 'sending',
    };
    thread(id).items.push(local);
    await deliver(id, local);
  }

  async function retry(id: string, localId: string) {
    const t = thread(id);
    const i = t.items.findIndex((m) => m.id === localId);
    if (i < 0) return;
    const m = { ...t.items[i], state: 'sending' as const, error: undefined, violations: undefined };
    t.items.splice(i, 1);
    t.items.push(m); // a retried message moves to the end, where it will land
    await deliver(id, m);
  }

  function discard(id: string, localId: string) {
    const t = thread(id);
    const i = t.items.findIndex((m) => m.id === localId && m.state === 'failed');
    if (i >= 0) t.items.splice(i, 1);
  }

  async function accept(id: string) {
    upsert(await api.acceptConversation(id));
  }
  async function transfer(id: string, body: { to_agent?: string; to_skill?: Skill; note?: string }) {
    const c = await api.transferConversation(id, body);
    upsert(c);
    return c;
  }
  async function close(id: string) {
    upsert(await api.closeConversation(id));
  }

  async function search(q: string, status?: ConversationStatus) {
    searching.value = true;
    try {
      const page = await api.listConversations({ q: q || undefined, status, limit: 50 });
      searchResults.value = page.items;
    } finally {
      searching.value = false;
    }
  }

  // Applies a pushed event. Returns the message when it is new to us.
  function applyMessageCreated(msg: Message, conv?: Conversation): boolean {
    if (conv) upsert(conv);
    const t = threads.get(msg.conversation_id);
    if (!t || !t.loaded) return !!conv;
    const known = t.items.some((m) => m.id === msg.id);
    merge(msg.conversation_id, [msg]);
    if (!known && activeId.value === msg.conversation_id && msg.from === 'buyer' && document.visibilityState === 'visible') {
      void markRead(msg.conversation_id);
    }
    return !known;
  }

  // After a reconnect: refresh the lists and the open thread's latest page.
  async function resync() {
    await loadLists();
    if (activeId.value && threads.get(activeId.value)?.loaded) await loadLatest(activeId.value);
  }

  function reset() {
    byId.clear();
    threads.clear();
    activeId.value = null;
    searchResults.value = [];
  }

  return {
    byId, threads, activeId, loading, searchResults, searching,
    all, mine, waiting, others, active, activeThread, unreadTotal,
    upsert, merge, thread, loadLists, loadLatest, open, loadOlder, markRead, send, retry, discard,
    accept, transfer, close, search, applyMessageCreated, resync, reset,
  };
});
