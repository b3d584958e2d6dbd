// End-to-end: the compliance guard in the workbench (highlight while typing, one-click fix), a
// lead's custom word applied to an agent's reply at once, and a quick-reply template filled from
// the open conversation and its order card.
import { expect, test, type Page } from '@playwright/test';
import { agentPage, login, openConversation, simPage, simSend, uniqueBuyer } from './helpers';

test.describe.configure({ mode: 'serial' });

async function leadPage(browser: import('@playwright/test').Browser) {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await login(page, 'demo-lead');
  return page;
}

// A buyer writes from the simulator; the agent opens (and accepts) the conversation.
async function conversationWith(browser: import('@playwright/test').Browser, agent: Page, tag: string) {
  const buyer = uniqueBuyer(tag);
  const sim = await simPage(browser, buyer);
  await simSend(sim, `你好，想问一下 ${buyer}`);
  await expect(agent.getByTestId(`conv-${buyer}`)).toBeVisible();
  await openConversation(agent, buyer);
  return { buyer, sim };
}

test('the composer highlights violations while the agent types; a replacement is one click away', async ({ browser }) => {
  const agent = await agentPage(browser);
  const { sim } = await conversationWith(browser, agent, 'hl');
  const box = agent.getByTestId('composer');
  await box.fill('这款是我们家最好的T恤，加我微信聊');
  const panel = agent.getByTestId('compliance');
  await expect(panel.locator('mark.hit.block')).toHaveText('微信');
  await expect(panel.locator('mark.hit.warn')).toHaveText('最好');
  await expect(panel).toContainText('站外平台或联系方式');
  // 微信 has advice only (no words to paste in its place); 最好 has replacements.
  await expect(panel).toContainText('请在平台内沟通');
  await expect(panel.getByTestId('suggestion')).toHaveText(['替换为「很好」', '替换为「口碑不错」']);
  await panel.getByTestId('suggestion').first().click();
  await expect(box).toHaveValue('这款是我们家很好的T恤，加我微信聊');
  await expect(agent.getByTestId('compliance').locator('mark.hit')).toHaveText(['微信']);
  await box.fill('这款是我们家很好的T恤，有问题随时问我');
  await expect(agent.getByTestId('compliance')).toHaveCount(0);
  await sim.context().close();
  await agent.context().close();
});

test('a lead adds a custom block word: the agent\'s next reply is blocked at once; deleted, it goes out', async ({ browser }) => {
  const lead = await leadPage(browser);
  await lead.getByTestId('nav-compliance').click();
  await expect(lead.getByTestId('compliance-page')).toBeVisible();
  await lead.getByTestId('word-kind').selectOption('block');
  await lead.getByTestId('word-input').fill('秘密渠道');
  await lead.getByTestId('word-suggestion').fill('官方渠道');
  await lead.getByTestId('word-note').fill('e2e：竞品的引流说法');
  await lead.getByTestId('word-add').click();
  await expect(lead.getByTestId('word-row-秘密渠道')).toContainText('官方渠道');
  await lead.getByTestId('try-input').fill('走秘 密渠道更便宜');
  await expect(lead.getByTestId('try-verdict')).toHaveAttribute('data-verdict', 'blocked');
  // The same word again, spelled differently: refused, naming the problem.
  await lead.getByTestId('word-input').fill('秘-密-渠-道');
  await lead.getByTestId('word-add').click();
  await expect(lead.getByTestId('word-error')).toBeVisible();

  const agent = await agentPage(browser);
  const { sim } = await conversationWith(browser, agent, 'word');
  const box = agent.getByTestId('composer');
  await box.fill('走秘密渠道更便宜哦');
  const panel = agent.getByTestId('compliance');
  await expect(panel.locator('mark.hit.block')).toHaveText('秘密渠道');
  await expect(panel).toContainText('本店禁用词');
  // Sent anyway: the server refuses it and nothing reaches the buyer.
  await box.press('Enter');
  const refused = agent.getByTestId('messages').locator('[data-testid="msg-failed"][data-from="agent"]', { hasText: '走秘密渠道' });
  await expect(refused).toContainText('含违规内容，未发送');
  await expect(refused).toContainText('改为“官方渠道”');
  await expect(sim.locator('[data-testid="sim-msg"][data-from="agent"]', { hasText: '走秘密渠道' })).toHaveCount(0);
  await box.fill('走秘密渠道更便宜哦');
  await agent.getByTestId('compliance').getByTestId('suggestion').click();
  await expect(box).toHaveValue('走官方渠道更便宜哦');
  await box.press('Enter');
  await expect(sim.locator('[data-testid="sim-msg"][data-from="agent"]', { hasText: '走官方渠道更便宜哦' })).toBeVisible();

  lead.once('dialog', () => {});
  await lead.getByTestId('word-delete-秘密渠道').click();
  await lead.getByRole('button', { name: /OK|确定/ }).click();
  await expect(lead.getByTestId('word-row-秘密渠道')).toHaveCount(0);
  await box.fill('还是走秘密渠道吧');
  await box.press('Enter');
  await expect(sim.locator('[data-testid="sim-msg"][data-from="agent"]', { hasText: '还是走秘密渠道吧' })).toBeVisible();
  await sim.context().close();
  await agent.context().close();
  await lead.context().close();
});

test('quick reply: a lead saves a template with variables; the agent fills it from the conversation and its order', async ({ browser }) => {
  const lead = await leadPage(browser);
  await lead.getByTestId('nav-templates').click();
  await expect(lead.getByTestId('templates-page')).toBeVisible();
  // The demo shop starts with a library.
  await expect(lead.getByTestId('tpl-row-发货通知')).toBeVisible();
  await lead.getByTestId('tpl-new').click();
  const dialog = lead.getByTestId('tpl-dialog');
  await dialog.getByTestId('tpl-title').fill('e2e订单确认');
  await dialog.getByTestId('tpl-scene').selectOption('shipping_notice');
  // A blocked text is checked while typing and refused on save.
  await dialog.getByTestId('tpl-text').fill('亲，付款后加我QQ');
  await expect(dialog.getByTestId('tpl-compliance').locator('mark.hit.block')).toBeVisible();
  await dialog.getByTestId('tpl-save').click();
  await expect(dialog.getByTestId('tpl-error')).toContainText('话术含违规内容');
  await dialog.getByTestId('tpl-text').fill('亲爱的');
  await dialog.getByTestId('tpl-var-buyer_name').click();
  await dialog.getByTestId('tpl-text').press('End');
  await dialog.getByTestId('tpl-text').pressSequentially('，您的订单');
  await dialog.getByTestId('tpl-var-order_id').click();
  await dialog.getByTestId('tpl-text').press('End');
  await dialog.getByTestId('tpl-text').pressSequentially('已确认，我们会尽快发出');
  await expect(dialog.getByTestId('tpl-text')).toHaveValue('亲爱的{买家昵称}，您的订单{订单号}已确认，我们会尽快发出');
  await dialog.getByTestId('tpl-save').click();
  await expect(lead.getByTestId('tpl-row-e2e订单确认')).toBeVisible();
  await expect(lead.getByTestId('tpl-row-e2e订单确认').locator('.var-chip')).toHaveText(['买家昵称', '订单号']);

  const agent = await agentPage(browser);
  const { buyer, sim } = await conversationWith(browser, agent, 'tpl');
  await sim.getByTestId('sim-order').click();
  const card = sim.locator('[data-testid="sim-msg"][data-from="buyer"] .order-card-id').last();
  await expect(card).toBeVisible();
  const orderId = (await card.textContent())!.trim();
  await expect(agent.getByTestId('messages').locator('.order-card-id', { hasText: orderId })).toBeVisible();

  await agent.getByTestId('quick-reply').click();
  await agent.getByTestId('quick-search').fill('e2e');
  await agent.getByTestId('quick-item-e2e订单确认').click();
  const expected = `亲爱的${buyer}，您的订单${orderId}已确认，我们会尽快发出`;
  await expect(agent.getByTestId('composer')).toHaveValue(expected);
  await expect(agent.getByTestId('unfilled')).toHaveCount(0);
  await agent.getByTestId('send').click();
  await expect(sim.locator('[data-testid="sim-msg"][data-from="agent"]', { hasText: expected })).toBeVisible();

  // A template whose order values are unknown (the simulator's cards are not imported orders):
  // the agent is told what to fill in and the send waits until it is.
  await agent.getByTestId('quick-reply').click();
  await agent.getByTestId('quick-item-发货通知').click();
  await expect(agent.getByTestId('unfilled')).toContainText('快递单号');
  await expect(agent.getByTestId('send')).toBeDisabled();
  await agent.getByTestId('composer').fill('');

  lead.once('dialog', () => {});
  await lead.getByTestId('tpl-delete-e2e订单确认').click();
  await lead.getByRole('button', { name: /OK|确定/ }).click();
  await expect(lead.getByTestId('tpl-row-e2e订单确认')).toHaveCount(0);
  await sim.context().close();
  await agent.context().close();
  await lead.context().close();
});
