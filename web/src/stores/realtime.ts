import { defineStore } from 'pinia';
import { ref } from 'vue';
import type {
  ConversationUpdatedData, HelloData, MessageCreatedData, PresenceUpdatedData, SlaWarningData,
} from '@/api/types';
import { ReconnectingSocket, type SocketFrame, type SocketState } from '@/api/ws';
import { beep } from '@/utils/sound';
import { useAuthStore } from './auth';
import { useConversationsStore } from './conversations';
import { usePrefsStore } from './prefs';
import { useTeamStore } from './team';

export interface Alert {
  kind: 'message' | 'sla';
  conversationId: string;
  buyer: string;
  text: string;
}

// The agent's live connection (/ws): feeds pushed events into the other stores, plays the
// new-message sound, raises browser notifications, and tells the layout when to show the
// "connection lost" banner.
export const useRealtimeStore = defineStore('realtime', () => {
  const state = ref<SocketState>('idle');
  const attempt = ref(0);
  const everOpened = ref(false);
  const lastAlert = ref<Alert | null>(null);
  const slaWarnings = ref<SlaWarningData[]>([]);

  let socket: ReconnectingSocket | null = null;

  function notify(a: Alert) {
    lastAlert.value = a;
    const prefs = usePrefsStore();
    if (prefs.sound) beep();
    if (prefs.notify && typeof Notification !== 'undefined' && Notification.permission === 'granted' && document.visibilityState !== 'visible') {
      try {
        const n = new Notification(a.buyer, { body: a.text, tag: a.conversationId });
        n.onclick = () => {
          window.focus();
          void useConversationsStore().open(a.conversationId);
        };
      } catch {
        // Some browsers only allow notifications from a service worker; the sound still played.
      }
    }
  }

  function onFrame(f: SocketFrame) {
    const conv = useConversationsStore();
    const team = useTeamStore();
    switch (f.type) {
      case 'hello': {
        const d = f.data as HelloData;
        if (d?.user) useAuthStore().applyUser(d.user);
        break;
      }
      case 'message.created': {
        const d = f.data as MessageCreatedData;
        if (!d?.message) break;
        const isNew = conv.applyMessageCreated(d.message, d.conversation);
        const me = useAuthStore().user?.id;
        const c = d.conversation ?? conv.byId.get(d.message.conversation_id);
        const forMe = !c || c.agent === me || c.status === 'waiting';
        const looking = conv.activeId === d.message.conversation_id && document.visibilityState === 'visible';
        if (isNew && d.message.from === 'buyer' && forMe && !looking) {
          notify({ kind: 'message', conversationId: d.message.conversation_id, buyer: d.message.buyer, text: d.message.text });
        }
        team.refreshSoon();
        break;
      }
      case 'conversation.updated': {
        const d = f.data as ConversationUpdatedData;
        if (d?.conversation) conv.upsert(d.conversation);
        team.refreshSoon();
        break;
      }
      case 'presence.updated':
        team.applyPresence(f.data as PresenceUpdatedData);
        break;
      case 'sla.warning': {
        const d = f.data as SlaWarningData;
        slaWarnings.value = [d, ...slaWarnings.value.filter((w) => w.conversation_id !== d.conversation_id)].slice(0, 20);
        break;
      }
      default:
        break;
    }
  }

  function start() {
    if (!socket) {
      socket = new ReconnectingSocket({
        url: () => {
          const t = useAuthStore().token;
          return t ? `/ws?token=${encodeURIComponent(t)}` : null;
        },
        onFrame,
        onState: (s, n) => {
          state.value = s;
          attempt.value = n;
          if (s === 'open') everOpened.value = true;
        },
        onResume: () => {
          void useConversationsStore().resync().catch(() => {});
        },
      });
    }
    socket.start();
  }

  function stop() {
    socket?.stop();
    socket?.reset();
    everOpened.value = false;
    state.value = 'idle';
  }

  return { state, attempt, everOpened, lastAlert, slaWarnings, start, stop, onFrame };
});
