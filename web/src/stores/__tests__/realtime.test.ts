import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { Conversation, Message } from '@/api/types';

vi.mock('@/utils/sound', () => ({ beep: vi.fn() }));
vi.mock('@/api/team', () => ({ getTeamBoard: vi.fn(), listShops: vi.fn() }));
import { beep } from '@/utils/sound';
import { useAuthStore } from '../auth';
import { useConversationsStore } from '../conversations';
import { usePrefsStore } from '../prefs';
import { useRealtimeStore } from '../realtime';

const conv: Conversation = {
  id: 'c9', shop: 's1', buyer: '小红', status: 'open', agent: 'u1', agent_name: 'A', skill: 'presale',
  created_at: '2026-11-23T20:00:00+08:00', updated_at: '2026-11-23T20:01:00+08:00',
  last_message: { text: '在吗', from: 'buyer', ts: '2026-11-23T20:01:00+08:00' }, unread: 1,
  waiting_since: '2026-11-23T20:01:00+08:00', reply_deadline: '2026-11-23T20:04:00+08:00', transfer_note: null,
};
const msg: Message = {
  id: 'm1', conversation_id: 'c9', shop: 's1', buyer: '小红', from: 'buyer', agent: null, text: '在吗',
  ts: '2026-11-23T20:01:00+08:00', client_msg_id: null, order_id: null, seq: 1,
};

describe('realtime store', () => {
  beforeEach(() => {
    localStorage.clear();
    setActivePinia(createPinia());
    vi.mocked(beep).mockClear();
    useAuthStore().user = { id: 'u1', username: 'a', display_name: 'A', role: 'agent', skills: [], shops: [], presence: 'online', max_concurrent: 8 };
  });

  it('feeds a new buyer message into the lists and chimes once, not for replays', () => {
    const rt = useRealtimeStore();
    const conv$ = useConversationsStore();
    rt.onFrame({ id: '5', type: 'message.created', data: { message: msg, conversation: conv } });
    expect(conv$.mine.map((c) => c.id)).toEqual(['c9']);
    expect(conv$.mine[0].reply_deadline).toBe(conv.reply_deadline);
    expect(beep).toHaveBeenCalledTimes(1);
    expect(rt.lastAlert).toMatchObject({ conversationId: 'c9', buyer: '小红', text: '在吗' });
    // A loaded thread gets the message once even if the event is replayed after a reconnect.
    conv$.thread('c9').loaded = true;
    rt.onFrame({ id: '6', type: 'message.created', data: { message: { ...msg, id: 'm2', seq: 2, text: '人呢' } } });
    rt.onFrame({ id: '6', type: 'message.created', data: { message: { ...msg, id: 'm2', seq: 2, text: '人呢' } } });
    expect(conv$.thread('c9').items.map((m) => m.id)).toEqual(['m2']);
    expect(beep).toHaveBeenCalledTimes(2);
  });

  it('stays silent when the sound is off and applies conversation updates', () => {
    usePrefsStore().sound = false;
    const rt = useRealtimeStore();
    rt.onFrame({ id: '7', type: 'message.created', data: { message: msg, conversation: conv } });
    expect(beep).not.toHaveBeenCalled();
    rt.onFrame({ id: '8', type: 'conversation.updated', data: { conversation: { ...conv, agent: 'u2', updated_at: '2026-11-23T20:02:00+08:00' } } });
    expect(useConversationsStore().mine).toHaveLength(0);
    expect(useConversationsStore().others.map((c) => c.id)).toEqual(['c9']);
  });
});
