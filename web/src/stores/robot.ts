import { defineStore } from 'pinia';
import { ref } from 'vue';
import * as api from '@/api/robot';
import type { Faq, FaqInput, FaqSuggestion, KbFormat, RobotAnswer, RobotSettings, RobotSettingsInput } from '@/api/robot';
import type { Shop } from '@/api/types';
import { listShops } from '@/api/team';

// The robot page: one shop's knowledge base, settings, test box and suggested entries.
export const useRobotStore = defineStore('robot', () => {
  const shops = ref<Shop[]>([]);
  const shopId = ref<string | undefined>(undefined);
  const items = ref<Faq[]>([]);
  const total = ref(0);
  const categories = ref<string[]>([]);
  const query = ref('');
  const category = ref('');
  const loading = ref(false);
  const settings = ref<RobotSettings | null>(null);
  const answer = ref<RobotAnswer | null>(null);
  const suggestions = ref<FaqSuggestion[]>([]);
  const questionsSeen = ref(0);

  async function loadShops() {
    shops.value = (await listShops()).items;
    if (!shopId.value && shops.value.length) shopId.value = shops.value[0].id;
  }

  async function loadFaq() {
    loading.value = true;
    try {
      const page = await api.listFaq({ shop: shopId.value, q: query.value || undefined, category: category.value || undefined, limit: 500 });
      items.value = page.items;
      total.value = page.total;
      categories.value = page.categories;
    } finally {
      loading.value = false;
    }
  }

  async function save(input: FaqInput, id?: string) {
    const saved = id ? await api.updateFaq(id, input, shopId.value) : await api.createFaq(input, shopId.value);
    await loadFaq();
    return saved;
  }

  async function remove(id: string) {
    await api.deleteFaq(id, shopId.value);
    items.value = items.value.filter((x) => x.id !== id);
    total.value = Math.max(0, total.value - 1);
  }

  async function importFile(content: string, format: KbFormat, mode: 'merge' | 'replace') {
    const res = await api.importFaq(content, format, mode, shopId.value);
    await loadFaq();
    return res;
  }

  const exportFile = (format: KbFormat) => api.exportFaq(format, shopId.value);

  async function loadSettings() {
    settings.value = await api.getRobotSettings(shopId.value);
  }

  async function saveSettings(input: RobotSettingsInput) {
    settings.value = await api.putRobotSettings(input, shopId.value);
  }

  async function ask(text: string) {
    answer.value = await api.askRobot(text, shopId.value);
    return answer.value;
  }

  async function loadSuggestions(date?: string) {
    const res = await api.listSuggestions({ shop: shopId.value, date });
    suggestions.value = res.items;
    questionsSeen.value = res.questions;
  }

  // One click: the suggestion becomes an entry (with the agents' most common answer).
  async function accept(s: FaqSuggestion, answerText: string, categoryName = '') {
    const faq = await api.acceptSuggestion(
      { question: s.question, similar: s.similar, answer: answerText, category: categoryName },
      shopId.value,
    );
    suggestions.value = suggestions.value.filter((x) => x !== s);
    await loadFaq();
    return faq;
  }

  return {
    shops, shopId, items, total, categories, query, category, loading, settings, answer, suggestions, questionsSeen,
    loadShops, loadFaq, save, remove, importFile, exportFile, loadSettings, saveSettings, ask, loadSuggestions, accept,
  };
});
