import { defineStore } from 'pinia';
import { ref } from 'vue';
import * as api from '@/api/orders';
import type { AftersalesCase, Approval, AuditEntry, AuditQuery, CatalogItem, CutoffView, Order, OrderDetail, OrderQuery } from '@/api/orders';
import { useAuthStore } from './auth';

// Orders of the current shop: the order list, the 审单 review queue before the cut-off, the
// after-sales board, the approvals inbox and the audit log. Each view loads what it shows.
export const useOrdersStore = defineStore('orders', () => {
  const auth = useAuthStore();
  const shopId = ref<string | undefined>(undefined);

  const orders = ref<Order[]>([]);
  const ordersNext = ref<string | null>(null);
  const review = ref<CutoffView | null>(null);
  // The review queue's "now" (demo only: HH:MM), from the page's ?at= query.
  const reviewAt = ref<string | undefined>(undefined);
  const catalog = ref<CatalogItem[]>([]);
  const cases = ref<AftersalesCase[]>([]);
  const approvals = ref<Approval[]>([]);
  const audit = ref<AuditEntry[]>([]);
  const auditNext = ref<string | null>(null);
  const loading = ref(false);

  async function guard<T>(fn: () => Promise<T>): Promise<T> {
    loading.value = true;
    try {
      return await fn();
    } finally {
      loading.value = false;
    }
  }

  async function loadOrders(q: OrderQuery = {}, more = false) {
    const page = await guard(() => api.listOrders({ ...q, shop: shopId.value, before: more ? ordersNext.value ?? undefined : undefined }));
    orders.value = more ? [...orders.value, ...page.items] : page.items;
    ordersNext.value = page.next;
  }
  const buyerOrders = (buyer: string, shop?: string) => api.listOrders({ buyer, shop, limit: 20 }).then((p) => p.items);
  const orderDetail = (id: string, shop?: string): Promise<OrderDetail> => api.getOrder(id, shop ?? shopId.value);

  async function loadReview() {
    review.value = await guard(() => api.getReview({ shop: shopId.value, at: reviewAt.value }));
  }
  async function rerunReview() {
    review.value = await guard(() => api.runReview({ shop: shopId.value, at: reviewAt.value }));
  }
  async function loadCatalog() {
    catalog.value = (await api.listCatalog(shopId.value)).items;
  }
  async function fixSku(orderId: string, oldSku: string, newSku: string) {
    const e = await api.fixSku(orderId, oldSku, newSku, shopId.value);
    await loadReview();
    return e;
  }
  async function approve(orderId: string) {
    const e = await api.approveReview(orderId, shopId.value);
    await loadReview();
    return e;
  }
  async function intercept(orderId: string, note: string) {
    const e = await api.interceptReview(orderId, note, shopId.value);
    await loadReview();
    return e;
  }
  const importText = (text: string) => api.importOrders(text, auth.token, shopId.value);

  async function loadCases(open = false) {
    cases.value = (await guard(() => api.listCases({ shop: shopId.value, open: open ? '1' : undefined }))).items;
  }
  async function caseEvent(id: string, event: string, text?: string) {
    const c = await api.caseEvent(id, { event, text }, shopId.value);
    const i = cases.value.findIndex((x) => x.id === id);
    if (i >= 0) cases.value[i] = c;
    return c;
  }
  async function registerReturn(trackingNo: string, condition: api.ReturnCondition) {
    const c = await api.registerReturn(trackingNo, condition, shopId.value);
    const i = cases.value.findIndex((x) => x.id === c.id);
    if (i >= 0) cases.value[i] = c;
    else cases.value.unshift(c);
    return c;
  }
  async function loadApprovals(state = 'pending') {
    approvals.value = (await guard(() => api.listApprovals({ shop: shopId.value, state }))).items;
  }
  async function decide(id: string, approve: boolean, note = '') {
    const out = await api.decideApproval(id, approve, note, shopId.value);
    approvals.value = approvals.value.filter((a) => a.id !== id);
    return out;
  }
  const compensate = (body: Parameters<typeof api.requestCompensation>[0], shop?: string) =>
    api.requestCompensation(body, shop ?? shopId.value);

  async function loadAudit(q: AuditQuery = {}, more = false) {
    const page = await guard(() => api.listAudit({ ...q, shop: shopId.value, before: more ? auditNext.value ?? undefined : undefined }));
    audit.value = more ? [...audit.value, ...page.items] : page.items;
    auditNext.value = page.next;
  }
  const auditCsv = (q: AuditQuery) => api.downloadAuditCsv({ ...q, shop: shopId.value }, auth.token);

  return {
    shopId, orders, ordersNext, review, reviewAt, catalog, cases, approvals, audit, auditNext, loading,
    loadOrders, buyerOrders, orderDetail, loadReview, rerunReview, loadCatalog, fixSku, approve, intercept,
    importText, loadCases, caseEvent, registerReturn, loadApprovals, decide, compensate, loadAudit, auditCsv,
  };
});
