// Orders, 审单 review queue, after-sales cases, compensations/approvals and the audit log
// (docs/api/openapi.yaml, tag orders). Money is a "12.30" string (yuan), never a float.
import { buildUrl, http } from './http';

export type OrderStatus = 'unpaid' | 'paid' | 'group_pending' | 'to_ship' | 'shipped' | 'delivered' | 'closed';
export type ReviewBucket = 'pending' | 'approved' | 'intercepted' | 'abnormal' | 'blacklisted' | 'out_of_stock' | 'sku_error';
export type FlagColor = '' | 'red' | 'yellow' | 'green' | 'blue' | 'purple';

export interface OrderItem {
  sku: string;
  name: string;
  qty: number;
  unit_price: string;
}
export interface Address {
  province: string;
  city: string;
  district: string;
  detail: string;
  recipient: string;
  phone: string;
}
export interface ReviewFinding {
  rule: string;
  bucket: ReviewBucket;
  message: string;
}
export interface ReviewEntry {
  shop_id: string;
  order_id: string;
  bucket: ReviewBucket;
  bucket_zh: string;
  findings: ReviewFinding[];
  paid_at: string | null;
  decided_by: string;
  decided_at: string | null;
  note: string;
  order?: Order;
}
export interface Order {
  id: string;
  shop_id: string;
  platform: string;
  buyer: string;
  items: OrderItem[];
  shipping_fee: string;
  goods_total: string;
  original_goods_total: string;
  goods_total_changes: number;
  shipping_fee_changes: number;
  total: string;
  address: Address;
  status: OrderStatus;
  status_zh: string;
  created_at: string | null;
  paid_at: string | null;
  shipped_at: string | null;
  delivered_at: string | null;
  tracking_no: string;
  carrier: string;
  campaign: string;
  group: { id: string; required: number; joined: number; formed_at: string | null } | null;
  remark: string;
  flag: FlagColor;
  flag_note: string;
  review?: ReviewEntry | null;
}
export interface Countdown {
  deadline: string | null;
  who?: 'seller' | 'buyer';
  what?: string;
  on_expiry?: string;
  remaining_seconds?: number;
  overdue?: boolean;
}
export interface AftersalesCase {
  id: string;
  order_id: string;
  buyer: string;
  type: string;
  type_zh: string;
  problem: string;
  reason: string;
  reason_zh?: string;
  category: 'quality' | 'non_quality';
  amount: string;
  state: string;
  state_zh: string;
  final: boolean;
  created_at: string;
  next_followup_at?: string | null;
  followups?: { at: string; actor: string; note: string }[];
  return_tracking_no: string;
  note: string;
  auto_resolved: boolean;
  countdown: Countdown;
}
export interface ActionRequest {
  kind: string;
  order_id: string;
  amount: string;
  gift_sku: string;
  gift_qty: number;
  cause: string;
  reason: string;
}
export interface Compensation {
  id: string;
  order_id: string;
  action: ActionRequest;
  requested_by: string;
  approved_by: string;
  approval_id: string;
  at: string;
}
export interface Approval {
  id: string;
  order_id: string;
  action: ActionRequest;
  requested_by: string;
  reasons: string[];
  state: 'pending' | 'approved' | 'rejected';
  created_at: string;
  decided_by: string;
  decided_at: string | null;
  note: string;
}
export interface Outcome {
  verdict: 'allowed' | 'needs_approval' | 'denied';
  rule: string;
  reasons: string[];
  warnings: string[];
  compensation: Compensation | null;
  approval: Approval | null;
}
export interface AuditEntry {
  id: string;
  actor: string;
  actor_name: string;
  at: string;
  action: string;
  entity_type: string;
  entity_id: string;
  before: unknown;
  after: unknown;
}
export interface CutoffView {
  now: string;
  cutoff: string;
  remaining_seconds: number;
  counts: Partial<Record<ReviewBucket, number>>;
  left: ReviewEntry[];
  items: ReviewEntry[];
}
export interface OrderDetail {
  order: Order;
  review: ReviewEntry | null;
  cases: AftersalesCase[];
  compensations: Compensation[];
  approvals: Approval[];
  price_floor: string;
}
export interface ImportResult {
  imported: number;
  errors: { line: number; order_id: string; field: string; message: string; text: string }[];
}
export interface CatalogItem {
  sku: string;
  name: string;
  stock: number;
  price: string;
}
export interface Page<T> {
  items: T[];
  next: string | null;
}

const enc = encodeURIComponent;
const v1 = '/api/v1';

export interface OrderQuery {
  shop?: string;
  status?: OrderStatus | '';
  buyer?: string;
  q?: string;
  before?: string;
  limit?: number;
}
export const listOrders = (q: OrderQuery = {}) => http.get<Page<Order>>(`${v1}/orders`, { query: { ...q } });
export const getOrder = (id: string, shop?: string) => http.get<OrderDetail>(`${v1}/orders/${enc(id)}`, { query: { shop } });
// The body is the file itself (CSV or JSONL text), not JSON, so this bypasses http.post.
export async function importOrders(text: string, token: string | null, shop?: string): Promise<ImportResult> {
  const res = await fetch(buildUrl(`${v1}/orders/import`, { shop }), {
    method: 'POST',
    headers: { 'Content-Type': 'text/plain; charset=utf-8', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: text,
  });
  const data = (await res.json().catch(() => ({}))) as ImportResult & { message?: string };
  if (!res.ok && !data.errors) throw new Error(data.message ?? `HTTP ${res.status}`);
  return { imported: data.imported ?? 0, errors: data.errors ?? [] };
}
export const setRemark = (id: string, body: { remark: string; flag: FlagColor; flag_note?: string }, shop?: string) =>
  http.post<Order>(`${v1}/orders/${enc(id)}/remark`, body, { query: { shop } });
export const changePrice = (id: string, body: { shipping_fee?: string; goods_total?: string }, shop?: string) =>
  http.post<Order>(`${v1}/orders/${enc(id)}/price`, body, { query: { shop } });

export const getReview = (q: { shop?: string; at?: string; bucket?: string } = {}) =>
  http.get<CutoffView>(`${v1}/review`, { query: q });
export const runReview = (q: { shop?: string; at?: string } = {}) => http.post<CutoffView>(`${v1}/review/run`, {}, { query: q });
export const fixSku = (orderId: string, oldSku: string, newSku: string, shop?: string) =>
  http.post<ReviewEntry>(`${v1}/review/${enc(orderId)}/fix-sku`, { old_sku: oldSku, new_sku: newSku }, { query: { shop } });
export const approveReview = (orderId: string, shop?: string) =>
  http.post<ReviewEntry>(`${v1}/review/${enc(orderId)}/approve`, {}, { query: { shop } });
export const interceptReview = (orderId: string, note: string, shop?: string) =>
  http.post<ReviewEntry>(`${v1}/review/${enc(orderId)}/intercept`, { note }, { query: { shop } });
export const listCatalog = (shop?: string) => http.get<{ items: CatalogItem[] }>(`${v1}/catalog`, { query: { shop } });

export const listCases = (q: { shop?: string; state?: string; order_id?: string; open?: string } = {}) =>
  http.get<{ items: AftersalesCase[] }>(`${v1}/aftersales/cases`, { query: q });
export const openCase = (body: { order_id: string; type: string; reason: string; amount?: string; problem?: string; note?: string }, shop?: string) =>
  http.post<AftersalesCase>(`${v1}/aftersales/cases`, body, { query: { shop } });
export type ReturnCondition = 'intact' | 'damaged' | 'wrong_item' | 'missing_parts';
// Warehouse registration: the parcel's return tracking number finds its case.
export const registerReturn = (trackingNo: string, condition: ReturnCondition, shop?: string) =>
  http.post<AftersalesCase>(`${v1}/aftersales/returns`, { tracking_no: trackingNo, condition }, { query: { shop } });
export const caseEvent = (id: string, body: { event: string; text?: string; carrier?: string; condition?: string }, shop?: string) =>
  http.post<AftersalesCase>(`${v1}/aftersales/cases/${enc(id)}/events`, body, { query: { shop } });

export const requestCompensation = (body: { kind: string; order_id: string; amount?: string; cause?: string; gift_sku?: string; gift_qty?: number; reason?: string }, shop?: string) =>
  http.post<Outcome>(`${v1}/compensations`, body, { query: { shop } });
export const listApprovals = (q: { shop?: string; state?: string } = {}) =>
  http.get<{ items: Approval[] }>(`${v1}/approvals`, { query: q });
export const decideApproval = (id: string, approve: boolean, note: string, shop?: string) =>
  http.post<Outcome>(`${v1}/approvals/${enc(id)}/${approve ? 'approve' : 'reject'}`, { note }, { query: { shop } });

export interface AuditQuery {
  shop?: string;
  actor?: string;
  action?: string;
  entity_type?: string;
  entity_id?: string;
  from?: string;
  to?: string;
  before?: string;
  limit?: number;
}
export const listAudit = (q: AuditQuery = {}) => http.get<Page<AuditEntry>>(`${v1}/audit`, { query: { ...q } });
// The CSV export is fetched with the token (a plain link would not carry it).
export async function downloadAuditCsv(q: AuditQuery, token: string | null): Promise<Blob> {
  const res = await fetch(buildUrl(`${v1}/audit`, { ...q, format: 'csv' }), {
    headers: token ? { Authorization: `Bearer ${token}` } : {},
  });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return res.blob();
}
