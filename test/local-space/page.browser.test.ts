import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobsCard } from '../../cards/job-card.js';
import type { JobView } from '../../src/core/jobs.js';
import { createLocalSpace, type LocalSpace } from '../../src/local-space/local-space.js';
import { launchBrowser } from '../support/browser.js';

// The page at `/`, driven by a real Chromium: a person types, a tiny fake bot (a webhook receiver speaking the
// REST API) answers with a card, the card is drawn by Microsoft's renderer, and its button submits as the other
// demo user.

interface WebhookEvent {
  resource: string;
  actorId: string;
  data: { id: string; roomId: string; personId: string; messageId?: string };
}

const CARD = {
  type: 'AdaptiveCard',
  version: '1.3',
  body: [
    { type: 'TextBlock', text: 'Restart **tomcat** on api-1?', wrap: true, size: 'Medium', weight: 'Bolder' },
    { type: 'FactSet', facts: [{ title: 'Target', value: 'api-1 (prod)' }, { title: 'Requested by', value: 'Alice Ops' }] },
    { type: 'Input.Text', id: 'reason', placeholder: 'Reason (optional)' },
  ],
  actions: [
    { type: 'Action.Submit', title: 'Approve', style: 'positive', data: { decision: 'approve', job: 'job-42' } },
    { type: 'Action.Submit', title: 'Reject', style: 'destructive', data: { decision: 'reject', job: 'job-42' } },
  ],
};

let space: LocalSpace;
let bot: Server;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];
let onAction: ((e: WebhookEvent) => void) | undefined;

async function api(method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${space.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${space.botToken}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

beforeAll(async () => {
  space = await createLocalSpace();
  // The fake bot: on a message from a person, fetch it and answer in its thread with an approval card.
  bot = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      res.writeHead(200).end();
      const event = JSON.parse(Buffer.concat(chunks).toString('utf8')) as WebhookEvent;
      if (event.resource === 'attachmentActions') {
        onAction?.(event);
        return;
      }
      if (event.data.personId === space.bot.id) return;
      void (async () => {
        const message = await api('GET', `/v1/messages/${event.data.id}`);
        await api('POST', '/v1/messages', {
          roomId: message.roomId,
          // Webex threads are one level deep: a message inside a thread is answered in that same thread.
          parentId: message.parentId ?? message.id,
          markdown: 'Approval needed: restart tomcat on api-1',
          attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content: CARD }],
        });
      })().catch((err: Error) => pageErrors.push(`fake bot: ${err.message}`));
    });
  });
  bot.listen(0, '127.0.0.1');
  await once(bot, 'listening');
  const botUrl = `http://127.0.0.1:${(bot.address() as AddressInfo).port}/hook`;
  await api('POST', '/v1/webhooks', { name: 'page-test', targetUrl: botUrl, resource: 'messages', event: 'created' });
  await api('POST', '/v1/webhooks', { name: 'page-test', targetUrl: botUrl, resource: 'attachmentActions', event: 'created' });
  // Something to show as a file link.
  const form = new FormData();
  form.append('roomId', space.rooms.group.id);
  form.append('markdown', 'Thread dump of `api-1` attached');
  form.append('files', new Blob(['"main" #1 RUNNABLE\n']), 'threads-api-1.txt');
  await fetch(`${space.hydraUrl}/messages`, { method: 'POST', headers: { authorization: `Bearer ${space.botToken}` }, body: form });

  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(m.text());
  });
});

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (bot ? bot.close(() => resolve()) : resolve()));
  await space?.close();
});

describe('the local space page', () => {
  it('shows the rooms, the demo users and existing messages with file links', async () => {
    await page.goto(space.url);
    await page.waitForSelector('body[data-ready="true"]');
    expect(await page.locator('#rooms .room').allTextContents()).toEqual([
      expect.stringContaining('Medic demo'),
      expect.stringContaining('Medic'),
    ]);
    expect(await page.locator('#user-switch option').allTextContents()).toEqual([
      'Alice Ops (alice@example.com)',
      'Bob Lead (bob@example.com)',
    ]);
    const file = page.locator('a.file', { hasText: 'threads-api-1.txt' });
    await file.waitFor();
    const href = await file.getAttribute('href');
    const download = await fetch(`${space.url}${href}`);
    expect(await download.text()).toBe('"main" #1 RUNNABLE\n');
    // Markdown is rendered, not shown raw.
    expect(await page.locator('.msg-text code', { hasText: 'api-1' }).count()).toBe(1);
  });

  it('sends what Alice types, renders the bot\'s card in the thread, and submits it as Bob', async () => {
    await page.fill('#composer', 'restart tomcat on api-1 <b>now</b>');
    await page.press('#composer', 'Enter');

    const asked = await space.waitForMessage((m) => m.personEmail === 'alice@example.com' && (m.text ?? '').includes('restart tomcat'));
    expect(asked).toMatchObject({ roomId: space.rooms.group.id, text: 'Medic restart tomcat on api-1 <b>now</b>', mentionedPeople: [space.bot.id] });
    // The user's text is escaped, never interpreted as HTML.
    const mine = page.locator(`.msg[data-id="${asked.id}"] .msg-text`).first();
    await mine.waitFor();
    expect(await mine.textContent()).toBe('Medic restart tomcat on api-1 <b>now</b>');
    expect(await page.locator(`.msg[data-id="${asked.id}"] .msg-text b`).count()).toBe(0);

    const cardMessage = await space.waitForMessage((m) => m.parentId === asked.id);
    const card = page.locator(`.msg[data-id="${asked.id}"] .thread .msg[data-id="${cardMessage.id}"] .ac-adaptiveCard`);
    await card.waitFor();
    expect(await card.textContent()).toContain('Restart tomcat on api-1?');
    expect(await card.locator('strong', { hasText: 'tomcat' }).count()).toBe(1);

    await page.selectOption('#user-switch', 'bob@example.com');
    await card.locator('input').first().fill('load is low');
    const arrived = new Promise<WebhookEvent>((resolve) => (onAction = resolve));
    await card.locator('button', { hasText: 'Approve' }).click();
    const event = await arrived;
    const bob = space.users.find((u) => u.emails[0] === 'bob@example.com')!;
    expect(event.actorId).toBe(bob.id);
    expect(event.data).toMatchObject({ messageId: cardMessage.id, personId: bob.id, roomId: space.rooms.group.id });
    const action = await api('GET', `/v1/attachment/actions/${event.data.id}`);
    expect(action.inputs).toEqual({ reason: 'load is low', decision: 'approve', job: 'job-42' });

    await page.screenshot({ path: '/tmp/local-space.png' });
    expect(pageErrors).toEqual([]);
  });

  it('replies in a thread from the page and escapes markup in bot markdown', async () => {
    const asked = space.messages({ roomId: space.rooms.group.id }).find((m) => m.personEmail === 'alice@example.com')!;
    await page.locator(`.msg[data-id="${asked.id}"] > .msg-main > .reply-btn`).click();
    expect(await page.locator('#reply-chip').isVisible()).toBe(true);
    await page.fill('#composer', 'approved, watching the graphs');
    await page.press('#composer', 'Enter');
    const reply = await space.waitForMessage((m) => (m.text ?? '').endsWith('approved, watching the graphs'));
    expect(reply).toMatchObject({ parentId: asked.id, personEmail: 'bob@example.com' });
    await page.locator(`.msg[data-id="${asked.id}"] .thread .msg[data-id="${reply.id}"]`).waitFor();
    expect(await page.locator('#reply-chip').isVisible()).toBe(false);

    const hostile = await api('POST', '/v1/messages', {
      roomId: space.rooms.group.id,
      markdown: '**careful** <img src=x onerror="window.pwned=1"> [docs](javascript:alert(1)) [ok](https://example.com/a)',
    });
    const body = page.locator(`.msg[data-id="${hostile.id}"] .msg-text`);
    await body.waitFor();
    expect(await body.locator('strong').textContent()).toBe('careful');
    expect(await body.locator('img').count()).toBe(0);
    expect(await body.locator('a').evaluateAll((as) => as.map((a) => a.getAttribute('href')))).toEqual(['https://example.com/a']);
    expect(await page.evaluate('typeof window.pwned')).toBe('undefined');
  });

  it('keeps direct rooms per user: Bob sees his own direct room with the bot', async () => {
    await page.locator('#rooms .room', { hasText: 'Direct message' }).click();
    expect(await page.locator('#room-title').textContent()).toBe('Medic');
    await page.fill('#composer', 'hello from bob');
    await page.press('#composer', 'Enter');
    const dm = await space.waitForMessage((m) => m.text === 'hello from bob');
    expect(dm.roomId).toBe(space.rooms.direct['bob@example.com'].id);
    expect(dm.mentionedPeople).toBeUndefined();
    const reply = await space.waitForMessage((m) => m.parentId === dm.id);
    await page.locator(`.msg[data-id="${reply.id}"] .ac-adaptiveCard`).waitFor();
    expect(pageErrors).toEqual([]);
  });
});

describe('the local space page: attachments and tables', () => {
  it('shows a file posted while the page is open by its name, with a link that downloads it', async () => {
    await page.selectOption('#user-switch', 'alice@example.com');
    await page.locator('#rooms .room', { hasText: 'Medic demo' }).click();
    const form = new FormData();
    form.append('roomId', space.rooms.group.id);
    form.append('markdown', 'Health of demo: full table attached');
    form.append('files', new Blob(['tier,instance\nhost,local\n'], { type: 'text/csv' }), 'health-demo.csv');
    const res = await fetch(`${space.hydraUrl}/messages`, { method: 'POST', headers: { authorization: `Bearer ${space.botToken}` }, body: form });
    const posted = (await res.json()) as { id: string };
    // No reload: the file arrives with the live event of its message.
    const file = page.locator(`.msg[data-id="${posted.id}"] a.file`);
    await file.waitFor();
    expect(await file.locator('span').first().textContent()).toBe('health-demo.csv');
    const href = await file.getAttribute('href');
    expect(href).toMatch(/^\/ui\/contents\//);
    const download = await fetch(`${space.url}${href}`);
    expect(download.status).toBe(200);
    expect(await download.text()).toBe('tier,instance\nhost,local\n');
    expect(pageErrors).toEqual([]);
  });

  it('keeps the rows of the jobs table aligned when a cell wraps', async () => {
    const now = Date.now();
    const views: JobView[] = [
      { id: 'r-1a2b3c4d5e6f', kind: 'system.ping', state: 'completed', origin: 'ping', actor: { type: 'person', email: 'alice@example.com' }, createdAt: now - 5000, attempts: 1 },
      { id: 'r-4d5e6f7a8b9c', kind: 'health.check', state: 'active', origin: 'health acme-prod app because disk alarm on app-3 fired twice', actor: { type: 'person', email: 'alice@example.com' }, createdAt: now - 60_000, attempts: 1 },
      { id: 'r-7a8b9c0d1e2f', kind: 'jvm.threads', state: 'failed', origin: 'jvm threads acme-prod app-1', actor: { type: 'person', email: 'bob@example.com' }, createdAt: now - 600_000, attempts: 2 },
    ];
    const card = jobsCard(views, now);
    const posted = await api('POST', '/v1/messages', { roomId: space.rooms.group.id, markdown: card.text, attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content: card.card }] });
    // A chat pane's width: the long "Asked" cell wraps onto several lines.
    await page.setViewportSize({ width: 900, height: 860 });
    const rendered = page.locator(`.msg[data-id="${posted.id}"] .ac-adaptiveCard`);
    await rendered.waitFor();
    const box = async (cellText: string) => {
      const b = await rendered.locator('.ac-textBlock', { hasText: cellText }).first().boundingBox();
      if (!b) throw new Error(`no cell "${cellText}" in the rendered card`);
      return b;
    };
    const rows = [];
    const when = ['5 s ago', '60 s ago', '10 min ago'];
    for (const [i, v] of views.entries()) rows.push(await Promise.all([box(v.id), box(v.state), box(v.origin.slice(0, 20)), box(when[i]!)]));
    const wrapped = rows[1]![2]!;
    expect(wrapped.height).toBeGreaterThan(rows[1]![0]!.height * 1.5); // the case under test: a cell did wrap
    for (const [i, cells] of rows.entries()) {
      // Every cell of a row starts on the row's line...
      for (const c of cells) expect(Math.abs(c.y - cells[0]!.y)).toBeLessThanOrEqual(2);
      // ...below every cell of the row before it, however tall.
      if (i > 0) expect(cells[0]!.y).toBeGreaterThanOrEqual(Math.max(...rows[i - 1]!.map((c) => c.y + c.height)) - 1);
    }
    await page.setViewportSize({ width: 1280, height: 860 });
    expect(pageErrors).toEqual([]);
  });
});
