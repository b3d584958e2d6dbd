// End-to-end: the agent workbench and the buyer simulator against a real `kefu demo`.
import { expect, test } from '@playwright/test';
import { agentPage, agentSend, login, openConversation, simPage, simSend, uniqueBuyer } from './helpers';

test.describe.configure({ mode: 'serial' });

test('login: wrong password is refused, demo-agent1 gets the workbench', async ({ page }) => {
  await page.goto('/login');
  await page.getByTestId('username').fill('demo-agent1');
  await page.getByTestId('password').fill('wrong-password');
  await page.getByTestId('login-submit').click();
  await expect(page.getByTestId('login-error')).toBeVisible();
  await login(page, 'demo-agent1');
  await expect(page.getByTestId('nav-workbench')).toBeVisible();
  // Agents have no dashboard in their navigation.
  await expect(page.getByTestId('nav-dashboard')).toHaveCount(0);
});

test('a buyer message reaches the workbench within 1 s with its countdown; the reply reaches the buyer', async ({ browser }) => {
  const agent = await agentPage(browser);
  const buyer = uniqueBuyer('reply');
  const sim = await simPage(browser, buyer);

  const text = `在吗？这件有M码吗 ${buyer}`;
  const started = Date.now();
  await simSend(sim, text);
  const item = agent.getByTestId(`conv-${buyer}`);
  await expect(item).toBeVisible({ timeout: 1000 });
  const elapsed = Date.now() - started;
  await expect(item.getByTestId('countdown')).toBeVisible({ timeout: 1000 });
  await expect(item.getByTestId('countdown')).toHaveText(/^[23]:\d\d$/);
  await expect(item).toContainText(text);
  test.info().annotations.push({ type: 'latency', description: `buyer message visible after ${elapsed} ms (incl. 201)` });

  await openConversation(agent, buyer);
  const reply = `亲，在的～M码有现货 ${Date.now()}`;
  await agentSend(agent, reply);
  // Shown as sent (not "sending") only after the server's 201.
  await expect(agent.getByTestId('messages').getByTestId('msg-sending')).toHaveCount(0);
  await expect(sim.locator('[data-testid="sim-msg"][data-from="agent"]', { hasText: reply })).toBeVisible({ timeout: 2000 });
  // Answered: the countdown stops.
  await expect(agent.getByTestId(`conv-${buyer}`).getByTestId('countdown')).toHaveCount(0);
  await sim.context().close();
  await agent.context().close();
});

test('the order card from the simulator shows in the workbench', async ({ browser }) => {
  const agent = await agentPage(browser);
  const buyer = uniqueBuyer('order');
  const sim = await simPage(browser, buyer);
  await sim.getByTestId('sim-order').click();
  const card = sim.locator('[data-testid="sim-msg"][data-from="buyer"] .order-card-id').last();
  await expect(card).toBeVisible();
  const orderId = (await card.textContent())!.trim();
  await openConversation(agent, buyer);
  await expect(agent.getByTestId('messages').locator('.order-card-id', { hasText: orderId })).toBeVisible();
  await expect(agent.getByTestId('messages')).toContainText(`[订单卡片] 订单号 ${orderId}`);
  await sim.context().close();
  await agent.context().close();
});

test('transfer to another agent', async ({ browser }) => {
  const agent2 = await agentPage(browser, 'demo-agent2');
  const agent1 = await agentPage(browser, 'demo-agent1');
  const buyer = uniqueBuyer('transfer');
  const sim = await simPage(browser, buyer);
  await simSend(sim, `我想换个颜色 ${buyer}`);
  // Routing may pick either online agent; take it as agent1 if it is waiting or agent1's.
  await expect
    .poll(async () => (await agent1.getByTestId(`conv-${buyer}`).count()) + (await agent2.getByTestId(`conv-${buyer}`).count()))
    .toBeGreaterThan(0);
  let from = agent1;
  let to = agent2;
  let toName = 'demo-agent2';
  if (!(await agent1.getByTestId(`conv-${buyer}`).isVisible())) {
    from = agent2;
    to = agent1;
    toName = 'demo-agent1';
  }
  await openConversation(from, buyer);
  await from.getByTestId('transfer').click();
  await expect(from.getByTestId('transfer-dialog')).toBeVisible();
  await from.getByTestId(`transfer-${toName}`).click();
  await from.getByTestId('transfer-dialog').locator('textarea').fill('买家要换颜色，库存请查一下');
  await from.getByTestId('transfer-confirm').click();
  await expect(to.getByTestId('section-mine').getByTestId(`conv-${buyer}`)).toBeVisible({ timeout: 3000 });
  await expect(from.getByTestId('section-mine').getByTestId(`conv-${buyer}`)).toHaveCount(0);
  await openConversation(to, buyer);
  await expect(to.getByTestId('messages')).toContainText(`我想换个颜色 ${buyer}`);
  await sim.context().close();
  await agent1.context().close();
  await agent2.context().close();
});

test('reload keeps the session and the history', async ({ browser }) => {
  const agent = await agentPage(browser);
  const buyer = uniqueBuyer('reload');
  const sim = await simPage(browser, buyer);
  await simSend(sim, `第一句 ${buyer}`);
  await openConversation(agent, buyer);
  const replies = ['回复一', '回复二', '回复三'].map((r) => `${r} ${buyer}`);
  for (const r of replies) await agentSend(agent, r);
  await agent.reload();
  await expect(agent.getByTestId('workbench')).toBeVisible();
  await expect(agent.getByTestId('chat-buyer')).toHaveText(buyer);
  const log = agent.getByTestId('messages');
  await expect(log).toContainText(`第一句 ${buyer}`);
  for (const r of replies) await expect(log).toContainText(r);
  const texts = await log.locator('.msg-text').allTextContents();
  const idx = replies.map((r) => texts.findIndex((x) => x === r));
  expect(idx).toEqual([...idx].sort((a, b) => a - b));
  await sim.context().close();
  await agent.context().close();
});

test('a killed socket shows the banner, reconnects and misses nothing', async ({ browser }) => {
  const ctx = await browser.newContext();
  const agent = await ctx.newPage();
  let live: { close(): Promise<void> } | null = null;
  let serverSide: { close(): Promise<void> } | null = null;
  await agent.routeWebSocket(
    (url) => url.pathname === '/ws',
    (ws) => {
      serverSide = ws.connectToServer();
      live = ws;
    },
  );
  await login(agent, 'demo-agent1');
  await expect(agent.getByTestId('app-shell')).toHaveAttribute('data-conn', 'open');
  const buyer = uniqueBuyer('socket');
  const sim = await simPage(browser, buyer);
  await simSend(sim, `第一句 ${buyer}`);
  await openConversation(agent, buyer);

  // Kill the connection from the network side, and hold the reconnect off for a moment.
  await agent.unrouteAll({ behavior: 'ignoreErrors' });
  let allow = false;
  await agent.routeWebSocket(
    (url) => url.pathname === '/ws',
    async (ws) => {
      while (!allow) await new Promise((r) => setTimeout(r, 100));
      ws.connectToServer();
    },
  );
  await (serverSide as { close(): Promise<void> } | null)?.close();
  await (live as { close(): Promise<void> } | null)?.close();
  await expect(agent.getByTestId('conn-banner')).toBeVisible();
  // The buyer writes while the agent is disconnected.
  await simSend(sim, `断线时发的 ${buyer}`);
  allow = true;
  await expect(agent.getByTestId('conn-banner')).toHaveCount(0, { timeout: 15000 });
  await expect(agent.getByTestId('messages')).toContainText(`断线时发的 ${buyer}`, { timeout: 3000 });
  // And live delivery works again.
  await simSend(sim, `恢复后发的 ${buyer}`);
  await expect(agent.getByTestId('messages')).toContainText(`恢复后发的 ${buyer}`, { timeout: 1000 });
  await sim.context().close();
  await ctx.close();
});

test('buyer HTML is shown as text, never run', async ({ browser }) => {
  const agent = await agentPage(browser);
  let dialogs = 0;
  agent.on('dialog', (d) => {
    dialogs++;
    void d.dismiss();
  });
  const buyer = uniqueBuyer('xss');
  const sim = await simPage(browser, buyer);
  sim.on('dialog', (d) => {
    dialogs++;
    void d.dismiss();
  });
  const evil = '<img src=x onerror=alert(1)>';
  await simSend(sim, evil);
  // The list shows the newest message, which may already be the robot's hand-over note.
  await expect(agent.getByTestId(`conv-${buyer}`)).toBeVisible();
  await openConversation(agent, buyer);
  await expect(agent.getByTestId('messages').locator('.msg-text', { hasText: evil })).toBeVisible();
  await expect(agent.getByTestId('messages').locator('img')).toHaveCount(0);
  await expect(sim.getByTestId('sim-messages').locator('img')).toHaveCount(0);
  expect(dialogs).toBe(0);
  await sim.context().close();
  await agent.context().close();
});

test('lead dashboard shows the live team board', async ({ browser }) => {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await login(page, 'demo-lead');
  await page.getByTestId('nav-dashboard').click();
  await expect(page.getByTestId('team-board')).toBeVisible();
  await expect(page.getByTestId('agent-demo-agent1')).toBeVisible();
  await expect(page.getByTestId('stat-waiting')).toHaveText(/^\d+$/);
  await ctx.close();
});

test('session expiry sends the user back to the login page', async ({ browser }) => {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await login(page, 'demo-agent1');
  // Invalidate the token server-side (logout through the API), then act in the page.
  const token = await page.evaluate(() => JSON.parse(localStorage.getItem('kefu.session') ?? '{}').token as string);
  const r = await page.request.post('/api/v1/auth/logout', { headers: { Authorization: `Bearer ${token}` } });
  expect(r.status()).toBe(204);
  // The next call that needs the session (here: the lists loaded after a reload; the socket's
  // resume does the same) gets a 401 and the app returns to the login page.
  await page.reload();
  await expect(page.getByTestId('expired')).toBeVisible();
  await expect(page).toHaveURL(/\/login/);
  await ctx.close();
});
