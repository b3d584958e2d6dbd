import { createApp, watch } from 'vue';
import { createPinia } from 'pinia';
import 'element-plus/dist/index.css';
import './styles.css';
import App from './App.vue';
import { configureHttp } from './api/http';
import { i18n } from './i18n';
import { router } from './router';
import { useAuthStore } from './stores/auth';
import { usePrefsStore } from './stores/prefs';
import { useRealtimeStore } from './stores/realtime';
import { useConversationsStore } from './stores/conversations';

const app = createApp(App);
const pinia = createPinia();
app.use(pinia).use(i18n).use(router);

const auth = useAuthStore();
const prefs = usePrefsStore();

// One place decides what a 401 means: the session is over; go to the login page.
configureHttp({
  token: () => auth.token,
  language: () => prefs.locale,
  onUnauthorized: () => {
    if (!auth.loggedIn) return;
    auth.clear('expired');
  },
});

watch(
  () => prefs.locale,
  (l) => {
    i18n.global.locale.value = l;
    document.documentElement.lang = l;
    const title = router.currentRoute.value.meta.title;
    if (title) document.title = `${i18n.global.t(title)} · ${i18n.global.t('common.appName')}`;
  },
  { immediate: true },
);

// When the session ends (logout, 401, expiry) stop the socket, forget data, go to login.
watch(
  () => auth.loggedIn,
  (inNow) => {
    if (inNow) return;
    useRealtimeStore().stop();
    useConversationsStore().reset();
    const cur = router.currentRoute.value;
    if (!cur.meta.public) {
      void router.replace({ name: 'login', query: auth.endReason ? { expired: '1', redirect: cur.fullPath } : {} });
    }
  },
);

// Expiry without a request in flight (an idle tab): check twice a minute.
setInterval(() => {
  if (auth.loggedIn && auth.isExpired()) auth.clear('expired');
}, 30000);

app.mount('#app');
