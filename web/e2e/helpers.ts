import { expect, type Browser, type Page } from '@playwright/test';

export const PASSWORD = 'kefu-demo';

export function uniqueBuyer(tag: string): string {
  return `e2e-${tag}-${Date.now().toString(36)}${Math.floor(Math.random() * 1000)}`;
}

export async function login(page: Page, username = 'demo-agent1') {
  await page.goto('/login');
  await page.getByTestId('username').fill(username);
  await page.getByTestId('password').fill(PASSWORD);
  await page.getByTestId('login-submit').click();
  await expect(page.getByTestId('workbench')).toBeVisible();
}

export async function agentPage(browser: Browser, username = 'demo-agent1') {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await login(page, username);
  // The socket must be up before buyers write, or routing sees nobody online.
  await waitSocketOpen(page);
  return page;
}

export async function waitSocketOpen(page: Page) {
  await expect(page.getByTestId('app-shell')).toHaveAttribute('data-conn', 'open');
}

export async function simPage(browser: Browser, buyer: string) {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.goto('/sim');
  await expect(page.getByTestId('sim-shop')).not.toHaveValue('');
  const input = page.getByTestId('sim-buyer');
  await input.fill(buyer);
  await input.dispatchEvent('change');
  await expect(page.getByTestId('sim-conn')).toHaveClass(/open/);
  return page;
}

export async function simSend(page: Page, text: string) {
  const box = page.getByTestId('sim-input');
  await box.fill(text);
  await box.press('Enter');
  // Acknowledged by the server (201): no longer "sending".
  await expect(page.locator('[data-testid="sim-msg"][data-from="buyer"]', { hasText: text }).last()).not.toHaveClass(/sending/);
}

export async function openConversation(page: Page, buyer: string) {
  await page.getByTestId(`conv-${buyer}`).click();
  await expect(page.getByTestId('chat-buyer')).toHaveText(buyer);
  const accept = page.getByTestId('accept');
  if (await accept.isVisible()) await accept.click();
  await expect(page.getByTestId('composer')).toBeEnabled();
}

export async function agentSend(page: Page, text: string) {
  const box = page.getByTestId('composer');
  await box.fill(text);
  await box.press('Enter');
  await expect(page.getByTestId('messages').locator('[data-testid="msg"][data-from="agent"]', { hasText: text })).toBeVisible();
}
