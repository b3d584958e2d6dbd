// End-to-end (issue 7, acceptance 3): a buyer sends an order card in the simulator, picks 催发货
// from the robot's self-service menu and gets the answer for that order's state; then asks
// something the robot does not know and lands with an agent, the robot's exchange visible.
import { expect, test } from '@playwright/test';
import { agentPage, openConversation, simPage, simSend, uniqueBuyer } from './helpers';

// "M月D日H点" of t in Asia/Shanghai, rounded up to the next full hour (the robot's FormatHour).
function hourText(t: number): string {
  const local = new Date(t + 8 * 3600_000);
  const ms = local.getTime();
  const up = new Date(Math.ceil(ms / 3600_000) * 3600_000);
  return `${up.getUTCMonth() + 1}月${up.getUTCDate()}日${up.getUTCHours()}点`;
}

test('order card -> menu -> 催发货 answers for the order; an unknown question lands with an agent', async ({ browser, request }) => {
  const buyer = uniqueBuyer('robot');
  const sim = await simPage(browser, buyer);

  // The order card: the robot answers with the self-service menu as buttons.
  const before = Date.now();
  await sim.getByTestId('sim-order').click();
  const card = sim.locator('[data-testid="sim-msg"][data-from="buyer"] .order-card-id').last();
  await expect(card).toBeVisible();
  await expect(sim.locator('[data-testid="sim-msg"][data-from="buyer"]').last()).not.toHaveClass(/sending/);
  const after = Date.now();
  const orderId = (await card.textContent())!.trim();
  const urge = sim.getByTestId('sim-option').filter({ hasText: '催发货' }).last();
  await expect(urge).toBeVisible();
  await expect(sim.getByTestId('sim-option').filter({ hasText: '查物流' }).last()).toBeVisible();

  // 催发货: a fresh simulator order is paid and not shipped, within 拼多多's 48-hour promise from
  // its card, so the robot names the promised time to the hour.
  await urge.click();
  const answer = sim.locator('[data-testid="sim-msg"][data-from="robot"]', { hasText: orderId }).last();
  await expect(answer).toBeVisible();
  const text = (await answer.locator('.msg-text').textContent()) ?? '';
  const expected = [hourText(before + 48 * 3600_000), hourText(after + 48 * 3600_000)];
  expect(expected.some((h) => text.includes(`${h}前发出`)), `${text} names one of ${expected.join(' / ')}`).toBe(true);

  // Something the knowledge base does not cover: the robot does not guess.
  const question = `你们老板是哪里人，店开了几年 ${buyer}`;
  await simSend(sim, question);
  const login = await request.post('/api/v1/auth/login', { data: { username: 'demo-lead', password: 'kefu-demo' } });
  const token = (await login.json()).token as string;
  const list = await request.get(`/api/v1/conversations?q=${encodeURIComponent(buyer)}`, { headers: { Authorization: `Bearer ${token}` } });
  const conv = ((await list.json()).items as { buyer: string; status: string }[]).find((c) => c.buyer === buyer);
  expect(conv).toBeTruthy();
  const handedOver = conv!.status === 'waiting';
  if (handedOver) {
    // Nobody had the buyer: the robot hands over and says so.
    await expect(sim.locator('[data-testid="sim-msg"][data-from="auto"]', { hasText: '人工' }).last()).toBeVisible();
  }
  await expect(sim.locator('[data-testid="sim-msg"][data-from="robot"]')).toHaveCount(1);

  // An agent comes online and finds the buyer with the robot's exchange.
  const agent = await agentPage(browser);
  await expect(agent.getByTestId(`conv-${buyer}`)).toBeVisible({ timeout: 5000 });
  await openConversation(agent, buyer);
  const log = agent.getByTestId('messages');
  await expect(log).toContainText(question);
  await expect(log.locator('[data-testid="msg"][data-from="robot"]', { hasText: orderId })).toBeVisible();
  await expect(log.locator('[data-testid="msg"][data-from="system"]', { hasText: '催发货' }).first()).toBeVisible();
  if (handedOver) {
    // The hand-over note tells the agent why the robot gave up.
    await expect(log.locator('[data-testid="msg"][data-from="system"]', { hasText: '机器人转人工' }).last()).toBeVisible();
  }
  await sim.context().close();
  await agent.context().close();
});

test('the robot page: ask the robot explains a match', async ({ browser }) => {
  const page = await agentPage(browser, 'demo-lead');
  await page.getByTestId('nav-robot').click();
  await expect(page.getByTestId('robot-page')).toBeVisible();
  await expect(page.getByTestId('robot-state')).toHaveClass(/on/);
  await expect(page.getByTestId('faq-row-demo_courier')).toBeVisible();
  await page.getByTestId('robot-tab-ask').click();
  await page.getByTestId('ask-input').fill('你们默认发哪家快递');
  await page.getByTestId('ask-submit').click();
  await expect(page.getByTestId('ask-result')).toHaveAttribute('data-faq', 'demo_courier');
  await expect(page.getByTestId('ask-answer')).toContainText('中通');
  await page.getByTestId('ask-input').fill('你们老板是哪里人');
  await page.getByTestId('ask-submit').click();
  await expect(page.getByTestId('ask-abstain')).toBeVisible();
  await page.context().close();
});
