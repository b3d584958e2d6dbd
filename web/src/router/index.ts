import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router';
import type { Role } from '@/api/types';
import { i18n } from '@/i18n';
import { useAuthStore } from '@/stores/auth';

declare module 'vue-router' {
  interface RouteMeta {
    title: string; // i18n key
    public?: boolean;
    roles?: Role[];
    nav?: boolean;
    icon?: string;
  }
}

const ALL: Role[] = ['agent', 'lead', 'owner'];
const LEADS: Role[] = ['lead', 'owner'];
const soon = () => import('@/views/coming-soon/index.vue');

// Pages are loaded lazily; the workbench is the first page most users see.
export const appRoutes: RouteRecordRaw[] = [
  { path: 'workbench', name: 'workbench', component: () => import('@/views/workbench/index.vue'), meta: { title: 'layout.nav.workbench', roles: ALL, nav: true } },
  { path: 'dashboard', name: 'dashboard', component: () => import('@/views/dashboard/index.vue'), meta: { title: 'layout.nav.dashboard', roles: LEADS, nav: true } },
  { path: 'orders', name: 'orders', component: () => import('@/views/orders/index.vue'), meta: { title: 'layout.nav.orders', roles: ALL, nav: true } },
  { path: 'aftersales', name: 'aftersales', component: () => import('@/views/aftersales/index.vue'), meta: { title: 'layout.nav.aftersales', roles: ALL, nav: true } },
  { path: 'robot', name: 'robot', component: () => import('@/views/robot/index.vue'), meta: { title: 'layout.nav.robot', roles: LEADS, nav: true } },
  { path: 'templates', name: 'templates', component: () => import('@/views/templates/index.vue'), meta: { title: 'layout.nav.templates', roles: ALL, nav: true } },
  { path: 'compliance', name: 'compliance', component: () => import('@/views/compliance/index.vue'), meta: { title: 'layout.nav.compliance', roles: ALL, nav: true } },
  { path: 'team', name: 'team', component: soon, meta: { title: 'layout.nav.team', roles: LEADS, nav: true } },
  { path: 'settings', name: 'settings', component: () => import('@/views/settings/index.vue'), meta: { title: 'layout.nav.settings', roles: LEADS, nav: true } },
];

export const routes: RouteRecordRaw[] = [
  { path: '/login', name: 'login', component: () => import('@/views/login/index.vue'), meta: { title: 'auth.title', public: true } },
  { path: '/sim', name: 'sim', component: () => import('@/views/simulator/index.vue'), meta: { title: 'simulator.title', public: true } },
  {
    path: '/',
    component: () => import('@/components/AppLayout.vue'),
    redirect: { name: 'workbench' },
    meta: { title: 'common.appName' },
    children: appRoutes,
  },
  { path: '/:pathMatch(.*)*', redirect: '/' },
];

export const router = createRouter({ history: createWebHistory(), routes });

router.beforeEach((to) => {
  if (to.meta.public) return true;
  const auth = useAuthStore();
  if (auth.loggedIn && auth.isExpired()) auth.clear('expired');
  if (!auth.loggedIn) return { name: 'login', query: to.fullPath !== '/' ? { redirect: to.fullPath } : {} };
  const roles = to.meta.roles;
  if (roles && auth.role && !roles.includes(auth.role)) return { name: 'workbench' };
  return true;
});

router.afterEach((to) => {
  const { t } = i18n.global;
  document.title = `${t(to.meta.title)} · ${t('common.appName')}`;
});
