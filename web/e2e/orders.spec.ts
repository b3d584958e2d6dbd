// End-to-end: the 审单 review queue of the demo shop at 15:30 (the demo honours ?at=HH:MM as the
// queue's "now"; the cut-off is 16:00) and fixing an SKU error, against a real `kefu demo`.
import { expect, test } from '@playwright/test';
import { login } from './helpers';

test('review queue at 15:30 shows what is left; fixing an SKU error approves the order', async ({ page }) => {
  await login(page, 'demo-agent1');
  await page.goto('/orders?tab=review&at=15:30');
  const queue = page.getByTestId('review-queue');
  await expect(queue).toBeVisible();
  // 30 minutes to the 16:00 cut-off, and every demo order awaiting shipment is still open.
  await expect(page.getByTestId('review-remaining')).toContainText('30:00');
  await expect(page.getByTestId('review-left-count')).toHaveText('6');
  const bad = page.getByTestId('review-row-PDD20260301002');
  await expect(bad).toHaveAttribute('data-bucket', 'sku_error');
  await expect(page.getByTestId('bucket-sku_error')).toContainText('1');
  for (const id of ['PDD20260301001', 'PDD20260301003', 'PDD20260301004', 'PDD20260301005', 'PDD20260301006'])
    await expect(page.getByTestId(`review-row-${id}`)).toBeVisible();
  // Orders that are unpaid, waiting for their group or already shipped are not in the queue.
  await expect(page.getByTestId('review-row-PDD20260301008')).toHaveCount(0);
  await expect(page.getByTestId('review-row-PDD20260301009')).toHaveCount(0);

  await page.getByTestId('fix-sku-select-PDD20260301002').selectOption('DRESS-RED-M');
  await page.getByTestId('fix-sku-PDD20260301002').click();
  // Approved: it leaves the list of what is left before the cut-off.
  await expect(bad).toHaveCount(0);
  await expect(page.getByTestId('review-left-count')).toHaveText('5');
  await expect(page.getByTestId('bucket-sku_error')).toContainText('0');
  await page.getByTestId('review-show-all').check();
  await expect(page.getByTestId('review-row-PDD20260301002')).toHaveAttribute('data-bucket', 'approved');

  // The server agrees (not just the page): the entry is approved and audited.
  const token = await page.evaluate(() => JSON.parse(localStorage.getItem('kefu.session') ?? '{}').token as string);
  const r = await page.request.get('/api/v1/audit?entity_id=PDD20260301002', { headers: { Authorization: `Bearer ${token}` } });
  expect(r.status()).toBe(200);
  const actions = ((await r.json()).items as { action: string }[]).map((a) => a.action);
  expect(actions.slice(0, 2)).toEqual(['review.fix_sku_approve', 'order.change_sku']);
});

test('a lead changes an agent permission on the settings page and it applies to the next request', async ({ page, browser }) => {
  await login(page, 'demo-lead');
  await page.goto('/settings');
  await expect(page.getByTestId('permissions-form')).toBeVisible();
  await expect(page.getByTestId('perm-platform-limits')).toContainText('3');
  const cap = page.getByTestId('perm-agent-goodwill-delivery');
  await expect(cap).toHaveValue('5.00');

  // A count above 拼多多's 3 per order is refused, naming the field; nothing is stored.
  await page.getByTestId('perm-agent-payment-count').fill('4');
  await page.getByTestId('perm-save').click();
  await expect(page.getByTestId('perm-error')).toContainText('agent.small_payments_per_order');
  await page.getByTestId('perm-agent-payment-count').fill('0');

  await cap.fill('8.00');
  await page.getByTestId('perm-save').click();
  await expect(page.getByTestId('perm-status')).toContainText('修改');
  await page.reload();
  await expect(page.getByTestId('perm-agent-goodwill-delivery')).toHaveValue('8.00');

  // An agent's 8 yuan goodwill refund is now within authority (it needed a lead before).
  const ctx = await browser.newContext();
  const agent = await ctx.newPage();
  await login(agent, 'demo-agent2');
  const token = await agent.evaluate(() => JSON.parse(localStorage.getItem('kefu.session') ?? '{}').token as string);
  const r = await agent.request.post('/api/v1/compensations', {
    headers: { Authorization: `Bearer ${token}` },
    data: { kind: 'goodwill_refund', order_id: 'PDD20260228007', amount: '8.00', cause: 'delivery', reason: 'e2e' },
  });
  expect(r.status()).toBe(201);
  expect((await r.json()).verdict).toBe('allowed');
  // The settings page is for leads and owners: an agent is sent back to the workbench.
  await agent.goto('/settings');
  await expect(agent).toHaveURL(/workbench/);
  await ctx.close();

  // Put the demo back as it was for the other tests.
  await page.getByTestId('perm-agent-goodwill-delivery').fill('5.00');
  await page.getByTestId('perm-save').click();
  await expect(page.getByTestId('perm-agent-goodwill-delivery')).toHaveValue('5.00');
});

test('the warehouse registers a returned parcel by its tracking number on the after-sales board', async ({ page }) => {
  await login(page, 'demo-agent3');
  const token = await page.evaluate(() => JSON.parse(localStorage.getItem('kefu.session') ?? '{}').token as string);
  const headers = { Authorization: `Bearer ${token}` };
  // The demo's 退货退款 case was approved; the buyer now sends the parcel back.
  const list = await page.request.get('/api/v1/aftersales/cases?order_id=PDD20260227010', { headers });
  const kase = ((await list.json()).items as { id: string; state: string }[])[0];
  expect(kase.state).toBe('awaiting_return');
  const tracking = `YT${Date.now()}`;
  const shipped = await page.request.post(`/api/v1/aftersales/cases/${kase.id}/events`, {
    headers, data: { event: 'buyer_ship_return', text: tracking, carrier: '圆通速递' },
  });
  expect(shipped.status()).toBe(200);

  await page.goto('/aftersales?tab=board');
  const row = page.getByTestId(`case-${kase.id}`);
  await expect(row).toContainText('买家已退货');
  await expect(row).toContainText(tracking);
  await page.getByTestId('return-tracking').fill(tracking);
  await page.getByTestId('return-condition').selectOption('damaged');
  await page.getByTestId('return-submit').click();
  await expect(row).toContainText('已收到退货');
  // The registration is audited with the parcel's condition.
  const audit = await page.request.get(`/api/v1/audit?entity_id=${kase.id}`, { headers });
  const last = ((await audit.json()).items as { action: string; after: { return_condition: string | null } }[])[0];
  expect(last.action).toBe('case.return_registered');
  expect(last.after.return_condition).toBe('damaged');
});
