import { defineStore } from 'pinia';
import { ref } from 'vue';
import { ApiError } from '@/api/http';
import * as api from '@/api/metrics';
import type { LiveWait, ReplyRate } from '@/api/types';

// Reply-rate figures for the lead dashboard: today's rate so far, the last days one by one,
// and the buyers waiting now with their deadlines. `available` is false while the server has
// no reply-rate API (a binary built without it answers 404).
export const useMetricsStore = defineStore('metrics', () => {
  const replyRate = ref<ReplyRate | null>(null);
  const history = ref<ReplyRate | null>(null);
  const waiting = ref<LiveWait[]>([]);
  const available = ref(true);
  const error = ref<string | null>(null);

  function fail(e: unknown) {
    if (e instanceof ApiError && e.status === 404) available.value = false;
    else error.value = e instanceof Error ? e.message : String(e);
  }

  async function loadReplyRate(shop?: string, date?: string, days = 1) {
    error.value = null;
    try {
      replyRate.value = await api.getReplyRate({ shop, date, days });
      available.value = true;
    } catch (e) {
      replyRate.value = null;
      fail(e);
    }
  }

  async function loadHistory(shop?: string, days = 30) {
    try {
      history.value = await api.getReplyRate({ shop, days, daily: 1 });
    } catch (e) {
      history.value = null;
      fail(e);
    }
  }

  async function loadLive(shop?: string) {
    try {
      waiting.value = (await api.getLiveMetrics({ shop })).items;
    } catch (e) {
      waiting.value = [];
      fail(e);
    }
  }

  return { replyRate, history, waiting, available, error, loadReplyRate, loadHistory, loadLive };
});
