import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../support/browser.js';
import { startHarness, type Harness } from '../support/medic-harness.js';

describe('the demo page, driven by a real browser', () => {
  let h: Harness;
  let browser: Browser;
  beforeAll(async () => {
    h = await startHarness();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await h?.stop();
  });

  it('shows the help and ping cards rendered by the Adaptive Cards renderer', async () => {
    const page = await browser.newPage();
    await page.goto(h.space.url);
    await page.fill('#composer', 'help');
    await page.press('#composer', 'Enter');
    const helpAsk = await h.space.waitForMessage((m) => m.personEmail === 'alice@example.com' && /help$/.test(m.text ?? ''));
    const helpReply = await h.space.waitForMessage((m) => m.parentId === helpAsk.id && m.personId === h.space.bot.id);
    const helpCard = page.locator(`.msg[data-id="${helpReply.id}"] .ac-adaptiveCard`);
    await helpCard.waitFor();
    expect(await helpCard.innerText()).toContain('what I can do');

    await page.fill('#composer', 'ping');
    await page.press('#composer', 'Enter');
    const pingAsk = await h.space.waitForMessage((m) => m.personEmail === 'alice@example.com' && /ping$/.test(m.text ?? ''));
    const pingReply = await h.space.waitForMessage((m) => m.parentId === pingAsk.id && m.personId === h.space.bot.id);
    const pingCard = page.locator(`.msg[data-id="${pingReply.id}"] .ac-adaptiveCard`);
    await pingCard.waitFor();
    expect(await pingCard.innerText()).toContain('pong');
    await page.screenshot({ path: '/tmp/medic-demo.png', fullPage: true });
  });
});
