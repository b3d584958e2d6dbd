import { defineStore } from 'pinia';
import { ref, watch } from 'vue';

export type Locale = 'zh-CN' | 'en-US';
const KEY = 'kefu.prefs';

interface Saved {
  locale?: Locale;
  sound?: boolean;
  notify?: boolean;
}

function load(): Saved {
  try {
    return JSON.parse(localStorage.getItem(KEY) ?? '{}') as Saved;
  } catch {
    return {};
  }
}

// Per-browser preferences: language, new-message sound, browser notifications (opt-in).
export const usePrefsStore = defineStore('prefs', () => {
  const saved = load();
  const locale = ref<Locale>(saved.locale === 'en-US' ? 'en-US' : 'zh-CN');
  const sound = ref(saved.sound ?? true);
  const notify = ref(saved.notify ?? false);

  watch([locale, sound, notify], () => {
    localStorage.setItem(KEY, JSON.stringify({ locale: locale.value, sound: sound.value, notify: notify.value }));
  });

  function setLocale(l: Locale) {
    locale.value = l;
  }

  // Asks the browser for permission; notifications stay off when it is refused.
  async function setNotify(on: boolean): Promise<boolean> {
    if (!on) {
      notify.value = false;
      return true;
    }
    if (typeof Notification === 'undefined') return false;
    const perm = Notification.permission === 'granted' ? 'granted' : await Notification.requestPermission();
    notify.value = perm === 'granted';
    return notify.value;
  }

  return { locale, sound, notify, setLocale, setNotify };
});
