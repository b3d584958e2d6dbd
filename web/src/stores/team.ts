import { defineStore } from 'pinia';
import { ref } from 'vue';
import * as api from '@/api/team';
import type { PresenceUpdatedData, Shop, TeamBoard } from '@/api/types';

// The live team board of one shop: agents, presence, load, waiting buyers.
export const useTeamStore = defineStore('team', () => {
  const board = ref<TeamBoard | null>(null);
  const shops = ref<Shop[]>([]);
  const shopId = ref<string | null>(null);
  const loading = ref(false);
  const loadedAt = ref(0);

  async function loadShops() {
    shops.value = (await api.listShops()).items;
    if (!shopId.value && shops.value.length) shopId.value = shops.value[0].id;
  }

  async function load(shop?: string) {
    if (shop) shopId.value = shop;
    loading.value = true;
    try {
      board.value = await api.getTeamBoard(shopId.value ?? undefined);
      shopId.value = board.value.shop.id;
      loadedAt.value = Date.now();
    } finally {
      loading.value = false;
    }
  }

  function applyPresence(d: PresenceUpdatedData) {
    const a = board.value?.agents.find((x) => x.id === d.agent);
    if (a) {
      a.presence = d.presence;
      a.load = d.load;
    }
  }

  // Counts change with every conversation event; re-read the board at most every 2 s.
  let pending: ReturnType<typeof setTimeout> | null = null;
  function refreshSoon(delay = 2000) {
    if (!board.value || pending) return;
    pending = setTimeout(() => {
      pending = null;
      load().catch(() => {});
    }, delay);
  }

  return { board, shops, shopId, loading, loadedAt, loadShops, load, applyPresence, refreshSoon };
});
