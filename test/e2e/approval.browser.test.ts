import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PG_URL, startPgVictim, type PgVictim } from '../support/pg-victim.js';
import { launchBrowser } from '../support/browser.js';
import { startHarness, type Harness } from '../support/medic-harness.js';


describe('approving in the demo page, as a second person', () => {
  let h: Harness;
  let browser: Browser;
  let victim: PgVictim;
  beforeAll(async () => {
    process.env.MEDIC_BROWSER_LAB_DB_URL = PG_URL;
    h = await startHarness({
      configYaml: `
environments:
  lab:
    databases: { main: { urlEnv: MEDIC_BROWSER_LAB_DB_URL } }
access:
  - { who: alice@example.com, role: operator }
  - { who: bob@example.com, role: approver }
`,
    });
    browser = await launchBrowser();
    victim = await startPgVictim('medic-browser-victim');
  });
  afterAll(async () => {
    await victim?.end();
    await browser?.close();
    await h?.stop();
  });

  it('Alice asks, Bob presses Approve in the page, the job runs and its result lands in the thread', async () => {
    const page = await browser.newPage();
    await page.goto(h.space.url);
    await page.fill('#composer', `db cancel lab/main ${victim.pid} because stuck report`);
    await page.press('#composer', 'Enter');
    const ask = await h.space.waitForMessage((m) => m.personEmail === 'alice@example.com' && (m.text ?? '').includes('db cancel'));
    const approvalMsg = await h.space.waitForMessage((m) => m.parentId === ask.id && /Approval needed/.test(m.text ?? ''));
    const card = page.locator(`.msg[data-id="${approvalMsg.id}"] .ac-adaptiveCard`);
    await card.waitFor();
    expect(await card.innerText()).toContain(String(victim.pid));

    await page.selectOption('#user-switch', 'bob@example.com');
    await card.locator('button', { hasText: 'Approve' }).click();
    const approved = await h.space.waitForMessage((m) => m.parentId === ask.id && /Approved by bob@example.com/.test(m.text ?? ''));
    await page.locator(`.msg[data-id="${approved.id}"]`).waitFor();
    expect(await victim.outcome).toBe('57014');
    await page.screenshot({ path: '/tmp/medic-approval.png', fullPage: true });
  }, 90_000);
});
