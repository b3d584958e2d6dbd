import { defineStore } from 'pinia';
import { reactive } from 'vue';

const KEY = 'kefu.notes';

// Private notes about a buyer, kept in this browser until the server has a notes API.
export const useNotesStore = defineStore('notes', () => {
  const notes = reactive<Record<string, string>>(JSON.parse(localStorage.getItem(KEY) ?? '{}'));
  const key = (shop: string, buyer: string) => `${shop}/${buyer}`;
  function get(shop: string, buyer: string) {
    return notes[key(shop, buyer)] ?? '';
  }
  function set(shop: string, buyer: string, text: string) {
    if (text.trim()) notes[key(shop, buyer)] = text;
    else delete notes[key(shop, buyer)];
    localStorage.setItem(KEY, JSON.stringify(notes));
  }
  return { notes, get, set };
});
