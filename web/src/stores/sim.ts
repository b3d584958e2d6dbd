import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import * as api from '@/api/sim';
import type { Message, SimConfig } from '@/api/types';
import { ReconnectingSocket, type SocketState } from '@/api/ws';
import { newClientMsgId } from '@/utils/id';

export interface SimMessage extends Message {
  state?: 'sending' | 'failed';
}

// The buyer simulator: plays one buyer of a demo shop through the ingest API, as a platform
// bridge would, and receives the shop's replies on /ws/buyer.
export const useSimStore = defineStore('sim', () => {
  const config = ref<SimConfig | null>(null);
  const shopId = ref<string | null>(null);
  const buyer = ref<string>('');
  const messages = ref<SimMessage[]>([]);
  const state = ref<SocketState>('idle');
  const error = ref<string | null>(null);
  let socket: ReconnectingSocket | null = null;

  const shop = computed(() => config.value?.shops.find((s) => s.id === shopId.value) ?? null);

  async function loadConfig() {
    config.value = await api.getSimConfig();
    const first = config.value.shops[0];
    if (!shopId.value && first) {
      shopId.value = first.id;
      buyer.value = first.buyers[0] ?? 'buyer-1';
    }
  }

  function merge(list: Message[]) {
    for (const m of list) {
      const byClient = m.client_msg_id ? messages.value.findIndex((x) => x.client_msg_id === m.client_msg_id) : -1;
      if (messages.value.some((x) => x.id === m.id)) continue;
      if (byClient >= 0) messages.value.splice(byClient, 1, m);
      else messages.value.push(m);
    }
    messages.value.sort((a, b) => (!!a.state === !!b.state ? a.seq - b.seq : a.state ? 1 : -1));
  }

  // Switches to (shop, buyer): opens the buyer socket, then loads the history. Selecting the
  // buyer already shown keeps the socket (the buyer field fires `change` again when it loses
  // focus, e.g. on a click on 发送订单卡片; tearing the socket down then lost the robot's replies
  // committed before the new socket was open). The history is read once the socket is open, and
  // again after each reconnect, so a message is either in the history or arrives on the socket
  // (merge drops the duplicates); reading it before opening the socket lost what came between.
  let generation = 0;
  async function select(shop: string, who: string) {
    const b = who.trim();
    if (socket && shop === shopId.value && b === buyer.value) return;
    const gen = ++generation;
    shopId.value = shop;
    buyer.value = b;
    messages.value = [];
    socket?.stop();
    socket = null;
    state.value = 'closed';
    const s = config.value?.shops.find((x) => x.id === shop);
    if (!s || !b) return;
    const key = s.ingest_key;
    const loadHistory = async () => {
      try {
        const items = (await api.ingestHistory(key, b)).items;
        if (gen === generation) merge(items);
      } catch (e) {
        // A buyer who never wrote has no history yet.
        error.value = null;
        void e;
      }
    };
    let opened = false;
    socket = new ReconnectingSocket({
      url: () => `/ws/buyer?shop=${encodeURIComponent(shop)}&buyer=${encodeURIComponent(b)}&key=${encodeURIComponent(key)}`,
      onFrame: (f) => {
        const d = f.data as { message?: Message } | undefined;
        if (gen === generation && f.type === 'message.created' && d?.message) merge([d.message]);
      },
      onState: (st) => {
        if (gen !== generation) return;
        state.value = st;
        if (st === 'open' && !opened) {
          opened = true;
          void loadHistory();
        }
      },
      onResume: () => void loadHistory(),
    });
    socket.start();
  }

  async function send(text: string, orderId?: string, cid = newClientMsgId()) {
    const s = shop.value;
    if (!s || !text.trim()) return;
    const local: SimMessage = {
      id: `local:${cid}`, conversation_id: '', shop: s.id, buyer: buyer.value, from: 'buyer', agent: null,
      text, ts: new Date().toISOString(), client_msg_id: cid, order_id: orderId ?? null, seq: Number.MAX_SAFE_INTEGER,
      state: 'sending',
    };
    messages.value.push(local);
    try {
      const res = await api.ingestMessage(s.ingest_key, {
        buyer: buyer.value, text, client_msg_id: cid, ...(orderId ? { order_id: orderId } : {}),
      });
      const i = messages.value.findIndex((m) => m.id === local.id);
      if (i >= 0) messages.value.splice(i, 1);
      merge([res.message]);
      error.value = null;
    } catch (e) {
      const i = messages.value.findIndex((m) => m.id === local.id);
      if (i >= 0) messages.value[i] = { ...messages.value[i], state: 'failed' };
      error.value = e instanceof Error ? e.message : String(e);
    }
  }

  async function retry(localId: string) {
    const m = messages.value.find((x) => x.id === localId);
    if (!m) return;
    messages.value = messages.value.filter((x) => x.id !== localId);
    await send(m.text, m.order_id ?? undefined, m.client_msg_id ?? undefined);
  }

  // An order card as the platforms send it: a message carrying order_id and a readable line.
  function sendOrderCard() {
    const d = new Date();
    const pad = (n: number) => String(n).padStart(2, '0');
    const orderId = `${d.getFullYear() % 100}${pad(d.getMonth() + 1)}${pad(d.getDate())}-${String(Math.floor(Math.random() * 1e12)).padStart(12, '0')}`;
    return send(`[订单卡片] 订单号 ${orderId}`, orderId);
  }

  function stop() {
    socket?.stop();
    socket = null;
  }

  return { config, shopId, buyer, shop, messages, state, error, loadConfig, select, send, retry, sendOrderCard, stop };
});
