import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { Conversation, Message } from '@/api/types';

vi.mock('@/api/conversations', () => ({
  listConversations: vi.fn(),
  getConversation: vi.fn(),
  listMessages: vi.fn(),
  sendMessage: vi.fn(),
  acceptConversation: vi.fn(),
  transferConversation: vi.fn(),
  closeConversation: vi.fn(),
  markRead: vi.fn(async () => undefined),
}));

import * as api from '@/api/conversations';
import { ApiError } from '@/api/http';
import { useAuthStore } from '../auth';
import { useConversationsStore } from '../conversations';

const conv = (over: Partial<Conversation> = {}): Conversation => ({
  id: 'c1', shop: 's1', buyer: 'b1', status: 'open', agent: 'u1', agent_name: 'A1', skill: 'presale',
  created_at: '2026-11-23T20:00:00+08:00', updated_at: '2026-11-23T20:00:00+08:00', last_message: null, unread: 0,
  waiting_since: null, reply_deadline: null, transfer_note: null, ...over,
});
let seq = 0;
const msg = (over: Partial<Message> = {}): Message => ({
  id: `m${++seq}`, conversation_id: 'c1', shop: 's1', buyer: 'b1', from: 'buyer', agent: null, text: 'hi',
  ts: '2026-11-23T20:00:00+08:00', client_msg_id: null, order_id: null, seq, ...over,
});

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((a, b) => ((resolve = a), (reject = b)));
  return { promise, resolve, reject };
}

describe('conversations store', () => {
  beforeEach(() => {
    setActivePinia(createPinia());
    vi.mocked(api.listMessages).mockReset();
    vi.mocked(api.sendMessage).mockReset();
    const auth = useAuthStore();
    auth.user = { id: 'u1', username: 'a1', display_name: 'A1', role: 'agent', skills: [], shops: [], presence: 'online', max_concurrent: 8 };
    seq = 0;
  });

  async function opened() {
    const s = useConversationsStore();
    s.upsert(conv());
    vi.mocked(api.listMessages).mockResolvedValueOnce({ items: [msg(), msg()], next: 'cur1' });
    await s.open('c1');
    return s;
  }

  it('shows a reply as sent only after the 201, even if the socket echoes it first', async () => {
    const s = await opened();
    const d = deferred<{ message: Message; warnings: [] }>();
    vi.mocked(api.sendMessage).mockReturnValueOnce(d.promise);
    const p = s.send('c1', '您好');
    const local = s.threads.get('c1')!.items.at(-1)!;
    expect(local.state).toBe('sending');
    const server = msg({ from: 'agent', text: '您好', client_msg_id: local.client_msg_id, agent: 'u1' });
    // The WebSocket delivers the message before the HTTP reply.
    s.applyMessageCreated(server);
    expect(s.threads.get('c1')!.items.filter((m) => m.text === '您好')).toHaveLength(1);
    expect(s.threads.get('c1')!.items.at(-1)!.state).toBe('sending');
    d.resolve({ message: server, warnings: [] });
    await p;
    const items = s.threads.get('c1')!.items;
    expect(items.filter((m) => m.text === '您好')).toHaveLength(1);
    expect(items.at(-1)!.id).toBe(server.id);
    expect(items.at(-1)!.state).toBeUndefined();
  });

  it('keeps a failed send for retry with the same client_msg_id', async () => {
    const s = await opened();
    vi.mocked(api.sendMessage).mockRejectedValueOnce(new ApiError(0, { error: 'network', message: 'down' }));
    await expect(s.send('c1', '在的')).rejects.toBeInstanceOf(ApiError);
    const failed = s.threads.get('c1')!.items.at(-1)!;
    expect(failed.state).toBe('failed');
    const cid = failed.client_msg_id;
    const server = msg({ from: 'agent', text: '在的', client_msg_id: cid });
    vi.mocked(api.sendMessage).mockResolvedValueOnce({ message: server, warnings: [] });
    await s.retry('c1', failed.id);
    expect(vi.mocked(api.sendMessage).mock.calls[1]).toEqual(['c1', '在的', cid]);
    expect(s.threads.get('c1')!.items.at(-1)).toMatchObject({ id: server.id, text: '在的' });
    expect(s.threads.get('c1')!.items.some((m) => m.state)).toBe(false);
  });

  it('marks a compliance block with its violations', async () => {
    const s = await opened();
    const v = { category: 'absolute', rule: 'r1', severity: 'block' as const, start: 0, end: 2, match: '最好', suggestion: '改为“很好”', replacements: ['很好'] };
    vi.mocked(api.sendMessage).mockRejectedValueOnce(new ApiError(422, { error: 'compliance_blocked', message: 'x', violations: [v] }));
    await s.send('c1', '最好的').catch(() => {});
    expect(s.threads.get('c1')!.items.at(-1)).toMatchObject({ state: 'failed', error: 'compliance_blocked', violations: [v] });
  });

  it('prepends older pages in order without duplicates', async () => {
    const s = await opened();
    const first = s.threads.get('c1')!.items.map((m) => m.id);
    seq = -10;
    vi.mocked(api.listMessages).mockResolvedValueOnce({ items: [msg(), msg()], next: null });
    expect(await s.loadOlder('c1')).toBe(2);
    const ids = s.threads.get('c1')!.items.map((m) => m.id);
    expect(ids.slice(2)).toEqual(first);
    expect(s.threads.get('c1')!.next).toBeNull();
    expect(await s.loadOlder('c1')).toBe(0);
    // Replaying the same event twice (resume after a reconnect) does not duplicate.
    const m = msg();
    s.applyMessageCreated(m);
    s.applyMessageCreated(m);
    expect(s.threads.get('c1')!.items.filter((x) => x.id === m.id)).toHaveLength(1);
  });

  it('sorts my conversations and the waiting queue, and ignores stale updates', () => {
    const s = useConversationsStore();
    s.upsert(conv({ id: 'a', updated_at: '2026-11-23T20:00:00+08:00' }));
    s.upsert(conv({ id: 'b', updated_at: '2026-11-23T20:05:00+08:00' }));
    s.upsert(conv({ id: 'w1', status: 'waiting', agent: null, waiting_since: '2026-11-23T20:04:00+08:00' }));
    s.upsert(conv({ id: 'w2', status: 'waiting', agent: null, waiting_since: '2026-11-23T20:01:00+08:00' }));
    s.upsert(conv({ id: 'x', agent: 'u2' }));
    expect(s.mine.map((c) => c.id)).toEqual(['b', 'a']);
    expect(s.waiting.map((c) => c.id)).toEqual(['w2', 'w1']);
    expect(s.others.map((c) => c.id)).toEqual(['x']);
    s.upsert(conv({ id: 'b', status: 'closed', updated_at: '2026-11-23T19:00:00+08:00' }));
    expect(s.byId.get('b')!.status).toBe('open');
  });
});
