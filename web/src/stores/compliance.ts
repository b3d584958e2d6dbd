import { defineStore } from 'pinia';
import { ref } from 'vue';
import * as api from '@/api/compliance';
import { ApiError } from '@/api/http';
import type { CustomWord, CustomWordInput, WordAdded } from '@/api/compliance';
import type { Violation } from '@/api/types';

// Checks the reply being typed against the compliance guard (debounced). When the server has
// no checker yet (404) it stops asking and the composer simply shows nothing. Also holds one
// shop's custom words (the compliance page).
export const useComplianceStore = defineStore('compliance', () => {
  const available = ref(true);
  const violations = ref<Violation[]>([]);
  const checkedText = ref('');
  const checking = ref(false);
  let timer: ReturnType<typeof setTimeout> | null = null;
  let inflight: AbortController | null = null;

  async function checkNow(text: string, shop?: string) {
    if (timer) clearTimeout(timer);
    timer = null;
    inflight?.abort();
    if (!available.value || !text.trim()) {
      violations.value = [];
      checkedText.value = text;
      return;
    }
    const ctl = new AbortController();
    inflight = ctl;
    checking.value = true;
    try {
      const res = await api.checkCompliance(text, shop, ctl.signal);
      if (inflight !== ctl) return;
      violations.value = res.violations ?? [];
      checkedText.value = text;
    } catch (e) {
      if (e instanceof ApiError && (e.status === 404 || e.status === 405 || e.status === 501)) available.value = false;
      if (inflight === ctl) violations.value = [];
    } finally {
      if (inflight === ctl) {
        inflight = null;
        checking.value = false;
      }
    }
  }

  function check(text: string, shop?: string, delayMs = 300) {
    if (timer) clearTimeout(timer);
    if (!text.trim()) {
      inflight?.abort();
      violations.value = [];
      return;
    }
    timer = setTimeout(() => void checkNow(text, shop), delayMs);
  }

  function clear() {
    if (timer) clearTimeout(timer);
    inflight?.abort();
    violations.value = [];
    checkedText.value = '';
  }

  // ---- custom words of one shop
  const words = ref<CustomWord[]>([]);
  const wordsMax = ref(0);
  const wordsShop = ref<string | undefined>(undefined);

  async function loadWords(shop?: string) {
    const res = await api.listWords(shop);
    words.value = res.items;
    wordsMax.value = res.max;
    wordsShop.value = res.shop;
  }

  // Adds a word; it applies to the shop's next check on the server. Returns what an allow word
  // lifts (block findings the shop now lets through).
  async function addWord(input: CustomWordInput): Promise<WordAdded> {
    const res = await api.addWord(input, wordsShop.value);
    words.value = [...words.value, res.word];
    return res;
  }

  async function removeWord(id: string) {
    await api.deleteWord(id, wordsShop.value);
    words.value = words.value.filter((w) => w.id !== id);
  }

  return {
    available, violations, checkedText, checking, check, checkNow, clear,
    words, wordsMax, wordsShop, loadWords, addWord, removeWord,
  };
});
