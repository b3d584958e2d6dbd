import { computed, ref } from 'vue';
import { defineStore } from 'pinia';
import * as api from '@/api/templates';
import type { RenderedTemplate, ReplyTemplate, ReplyTemplateInput, TemplateSaved, TemplateScene, TemplateVariable } from '@/api/templates';
import type { Shop } from '@/api/types';
import { listShops } from '@/api/team';

// Reply templates (话术): the templates page manages one shop's library; the workbench composer
// picks quick replies of the open conversation's shop and has the server fill them in.
export const useTemplatesStore = defineStore('templates', () => {
  const shops = ref<Shop[]>([]);
  const shopId = ref<string | undefined>(undefined);
  const items = ref<ReplyTemplate[]>([]);
  const loading = ref(false);
  const variables = ref<TemplateVariable[]>([]);
  const scenes = ref<TemplateScene[]>([]);
  const variableNames = computed(() => variables.value.map((v) => v.name));
  // Quick replies by shop, fetched when the picker opens.
  const quick = ref<Record<string, ReplyTemplate[]>>({});
  let variablesLoading: Promise<void> | null = null;

  async function loadShops() {
    shops.value = (await listShops()).items;
    if (!shopId.value && shops.value.length) shopId.value = shops.value[0].id;
  }

  // The variable list and scenes, fetched once.
  function loadVariables(): Promise<void> {
    if (variables.value.length) return Promise.resolve();
    variablesLoading ??= api
      .listTemplateVariables()
      .then((res) => {
        variables.value = res.items;
        scenes.value = res.scenes;
      })
      .finally(() => {
        variablesLoading = null;
      });
    return variablesLoading;
  }

  async function load() {
    loading.value = true;
    try {
      const res = await api.listTemplates({ shop: shopId.value });
      items.value = res.items;
      quick.value = { ...quick.value, [res.shop]: res.items };
    } finally {
      loading.value = false;
    }
  }

  async function save(input: ReplyTemplateInput, id?: string): Promise<TemplateSaved> {
    const res = id ? await api.updateTemplate(id, input, shopId.value) : await api.createTemplate(input, shopId.value);
    await load();
    return res;
  }

  async function remove(id: string) {
    await api.deleteTemplate(id, shopId.value);
    items.value = items.value.filter((t) => t.id !== id);
    if (shopId.value && quick.value[shopId.value]) quick.value[shopId.value] = quick.value[shopId.value].filter((t) => t.id !== id);
  }

  // The shop's templates for the quick-reply picker (fetched again each time it opens, so a
  // lead's edit shows without a reload).
  async function quickReplies(shop: string): Promise<ReplyTemplate[]> {
    const res = await api.listTemplates({ shop });
    quick.value = { ...quick.value, [shop]: res.items };
    return res.items;
  }

  // The template filled for a conversation, with the guard's verdict.
  const render = (id: string, conversationId: string): Promise<RenderedTemplate> => api.renderTemplate(id, conversationId);

  return { shops, shopId, items, loading, variables, scenes, variableNames, quick, loadShops, loadVariables, load, save, remove, quickReplies, render };
});
