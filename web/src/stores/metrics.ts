import { defineStore } from 'pinia';
import { ref } from 'vue';
import { ApiError } from '@/api/http';
import * as api from '@/api/metrics';
import type { ReplyRate } from '@/api/types';

// Reply-rate figures for the dashboard; `available` is false while the server has no such API.
export const useMetricsStore = defineStore('metrics', () => {
  const replyRate = ref<ReplyRate | null>(null);
  const available = ref(true);
  const error = ref<string | null>(null);

  async function loadReplyRate(shop?: string, date?: string, days = 1) {
    error.value = null;
    try {
      replyRate.value = await api.getReplyRate({ shop, date, days });
      available.value = true;
    } catch (e) {
      replyRate.value = null;
      if (e instanceof ApiError && e.status === 404) available.value = false;
      else error.value = e instanceof Error ? e.message : String(e);
    }
  }

  return { replyRate, available, error, loadReplyRate };
});
