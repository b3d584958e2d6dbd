// The lead dashboard's reply-rate panels against a real `kefu demo`: buyers written through the
// ingest API (some on past days) show up in the 30-day chart's figures, today's rate so far, the
// buyers at risk and the campaign gates, with the numbers the server computes.
import { expect, test, type APIRequestContext, type Page } from '@playwright/test';
import { login, uniqueBuyer } from './helpers';

// A local date in the shop's zone (Asia/Shanghai, no daylight saving), `offset` days from today.
function shopDate(offset: number): string {
  return new Date(Date.now() + 8 * 3600_000 + offset * 86400_000).toISOString().slice(0, 10);
}

// 拼多多 counts buyer messages sent in [08:00, 23:00) local time.
function inServiceWindow(): boolean {
  const hour = new Date(Date.now() + 8 * 3600_000).getUTCHours();
  return hour >= 8 && hour < 23;
}

async function ingest(request: APIRequestContext, buyer: string, text: string, ts?: string) {
  const cfg = await (await request.get('/api/v1/sim/config')).json();
  const r = await request.post('/api/v1/ingest/messages', {
    headers: { 'X-Kefu-Key': cfg.shops[0].ingest_key },
    data: { buyer, text, ...(ts ? { ts } : {}) },
  });
  expect(r.status()).toBe(201);
}

async function token(page: Page): Promise<string> {
  return page.evaluate(() => JSON.parse(localStorage.getItem('kefu.session') ?? '{}').token as string);
}

async function api(page: Page, path: string) {
  const r = await page.request.get(path, { headers: { Authorization: `Bearer ${await token(page)}` } });
  expect(r.status()).toBe(200);
  return r.json();
}

// Closes the conversations of `buyers` (as a lead), so that later specs find the agents free.
async function closeConversations(page: Page, buyers: string[]) {
  const headers = { Authorization: `Bearer ${await token(page)}` };
  for (const status of ['waiting', 'open']) {
    const list = await api(page, `/api/v1/conversations?status=${status}&limit=200`);
    for (const c of list.items as { id: string; buyer: string }[]) {
      if (!buyers.includes(c.buyer)) continue;
      const r = await page.request.post(`/api/v1/conversations/${c.id}/close`, { headers });
      expect(r.status()).toBe(200);
    }
  }
}

const pct = (v: number) => `${Math.round(v * 1000) / 10}%`;

test('lead dashboard: 30 days by day, today so far, buyers at risk, campaign gates', async ({ browser, request }) => {
  // Unanswered buyers on the two days before today: those days' rates are 0%, so every
  // campaign gate (1-hour rate above the line on each of the 3 previous days) fails today.
  const d2 = shopDate(-2);
  const d1 = shopDate(-1);
  const past = [uniqueBuyer('d2a'), uniqueBuyer('d2b'), uniqueBuyer('d1')];
  await ingest(request, past[0], '在吗？这件外套有M码吗', `${d2}T10:00:00+08:00`);
  await ingest(request, past[1], '什么时候发货呀', `${d2}T21:15:00+08:00`);
  await ingest(request, past[2], '可以改地址吗', `${d1}T09:30:00+08:00`);
  const now = uniqueBuyer('risk');
  await ingest(request, now, '亲，能便宜点吗');

  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await login(page, 'demo-lead');
  await page.getByTestId('nav-dashboard').click();
  await expect(page.getByTestId('dashboard')).toBeVisible();

  // 30 days by day: one row per day; the past days hold our buyers, unanswered.
  const history = await api(page, '/api/v1/metrics/reply-rate?days=30&daily=1');
  expect(history.daily).toHaveLength(30);
  const byDate = new Map<string, { consulting_buyers: number; effective_reply_rate: number | null }>(
    history.daily.map((d: { date: string }) => [d.date, d]),
  );
  expect(byDate.get(d2)!.consulting_buyers).toBeGreaterThanOrEqual(2);
  expect(byDate.get(d2)!.effective_reply_rate).toBe(0);
  expect(byDate.get(d1)!.effective_reply_rate).toBe(0);
  const daily = page.getByTestId('daily-rates');
  await expect(daily.locator('canvas')).toHaveCount(1);
  await daily.locator('summary').click();
  await expect(daily.locator('tbody tr')).toHaveCount(30);
  for (const d of [d2, d1]) {
    const row = daily.getByTestId(`daily-${d}`);
    await expect(row).toHaveAttribute('data-consulting', String(byDate.get(d)!.consulting_buyers));
    await expect(row.getByTestId('daily-effective')).toHaveText('0%');
  }
  const quiet = shopDate(-20);
  if (byDate.get(quiet)!.consulting_buyers === 0)
    await expect(daily.getByTestId(`daily-${quiet}`).getByTestId('daily-effective')).toHaveText('无咨询');

  // Today so far: the figures the server computes for today, and the bar chart.
  const today = await api(page, '/api/v1/metrics/reply-rate');
  expect(today.date).toBe(shopDate(0));
  const panel = page.getByTestId('today-rate');
  await expect(panel.getByTestId('consulting')).toHaveText(String(today.consulting_buyers));
  await expect(panel.getByTestId('effective-rate')).toHaveText(
    today.effective_reply_rate === null ? '—' : pct(today.effective_reply_rate),
  );
  await expect(panel.getByTestId('assessed')).toHaveText(today.assessed ? '是' : '否');
  await expect(panel.locator('canvas')).toHaveCount(1);

  // Campaign gates: all three are listed and fail on the 0% days before today.
  const gates = page.getByTestId('gates');
  expect(today.gates).toHaveLength(3);
  for (const g of today.gates as { id: string; name: string; passed: boolean }[]) {
    expect(g.passed).toBe(false);
    await expect(gates.getByTestId(`gate-${g.id}`)).toHaveAttribute('data-passed', 'false');
    await expect(gates.getByTestId(`gate-${g.id}`)).toContainText(g.name);
    await expect(gates.getByTestId(`gate-${g.id}`)).toContainText('未达标');
  }

  // Buyers at risk: yesterday's buyer still waits, past every line; a buyer writing now (inside
  // the service window) counts down to the 3-minute line, outside it starts no countdown.
  const risk = page.getByTestId('at-risk');
  await expect(risk.getByTestId(`risk-${past[2]}`)).toContainText('各条线均已超时');
  await expect(risk.getByTestId(`risk-${past[2]}`).getByTestId('risk-left')).toHaveText('已超时');
  if (inServiceWindow()) {
    const row = risk.getByTestId(`risk-${now}`);
    await expect(row).toContainText('3分钟人工');
    await expect(row.getByTestId('risk-left')).toHaveText(/^[0-2]:\d\d$/);
    // It ticks without a reload.
    const first = await row.getByTestId('risk-left').textContent();
    await expect(row.getByTestId('risk-left')).not.toHaveText(first!, { timeout: 3000 });
  } else {
    await expect(risk.getByTestId(`risk-${now}`)).toHaveCount(0);
  }
  const live = await api(page, '/api/v1/metrics/live');
  await expect(risk.getByTestId('risk-count')).toHaveText(String(live.items.length));

  await closeConversations(page, [...past, now]);
  await ctx.close();
});
