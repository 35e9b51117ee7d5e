import { once } from 'node:events';
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalSpace, type LocalSpace } from '../../src/local-space/local-space.js';

// The real webex-node-bot-framework 2.3.14 (untyped CommonJS), pointed at the local space. This proves the local
// space answers every call the framework and its webex 2.4.2 SDK make, in the shapes they expect.

/* eslint-disable @typescript-eslint/no-explicit-any -- the framework ships no types */
type Framework = any;

const CARD = {
  type: 'AdaptiveCard',
  $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
  version: '1.3',
  body: [{ type: 'TextBlock', text: 'Restart api-1?' }],
  actions: [{ type: 'Action.Submit', title: 'Approve', data: { action: 'approve' } }],
};

let space: LocalSpace;
let framework: Framework;
let botServer: Server;
const heard: string[] = [];
const actionsSeen: Array<{ inputs: Record<string, unknown>; messageId: string; personEmail: string }> = [];
let fileToUpload: string;
let uploadDir: string | undefined;

beforeAll(async () => {
  space = await createLocalSpace();
  // The SDK reads these once, when the module is first loaded: set them before the require below.
  process.env.HYDRA_SERVICE_URL = space.hydraUrl;
  process.env.U2C_SERVICE_URL = space.u2cUrl;
  const require = createRequire(import.meta.url);
  const FrameworkCtor = require('webex-node-bot-framework');
  const webhook = require('webex-node-bot-framework/webhook');

  const app = express();
  app.use(express.json());
  botServer = app.listen(0, '127.0.0.1');
  await once(botServer, 'listening');
  const botUrl = `http://127.0.0.1:${(botServer.address() as AddressInfo).port}`;
  framework = new FrameworkCtor({
    token: space.botToken,
    webhookUrl: `${botUrl}/webhook`,
    webhookSecret: 'compat-secret',
    messageFormat: 'markdown',
    removeWebhooksOnStart: false,
  });
  app.post('/webhook', webhook(framework));

  uploadDir = mkdtempSync(join(tmpdir(), 'local-space-compat-'));
  fileToUpload = join(uploadDir, 'threads.txt');
  writeFileSync(fileToUpload, '"main" #1 prio=5 RUNNABLE\n');

  // The framework does not await or catch handlers; record failures instead of crashing the worker.
  framework.hears('hello', (bot: any, trigger: any) => {
    heard.push(trigger.text);
    bot.reply(trigger.message, { markdown: `hi **${trigger.person.displayName}**` })
      .then(() => bot.sendCard(CARD, 'Your client cannot show cards'))
      .catch((e: Error) => heard.push(`error: ${e.message}`));
  });
  framework.hears('upload', (bot: any) => {
    bot.uploadStream(createReadStream(fileToUpload)).catch((e: Error) => heard.push(`error: ${e.message}`));
  });
  framework.on('attachmentAction', (bot: any, trigger: any) => {
    actionsSeen.push({
      inputs: trigger.attachmentAction.inputs,
      messageId: trigger.attachmentAction.messageId,
      personEmail: trigger.person.emails[0],
    });
    bot.say(`approved by ${trigger.person.displayName}`).catch((e: Error) => heard.push(`error: ${e.message}`));
  });

  const initialized = once(framework, 'initialized');
  await framework.start();
  await initialized;
  // start() does not await webhook registration (spike §2.6): wait until both webhooks exist.
  await space.waitForWebhooks((hooks) => hooks.length === 2);
});

afterAll(async () => {
  await framework?.stop();
  await new Promise<void>((resolve) => (botServer ? botServer.close(() => resolve()) : resolve()));
  await space?.close();
  if (uploadDir) rmSync(uploadDir, { recursive: true, force: true });
});

describe('the real webex-node-bot-framework against the local space', () => {
  it('starts with the calls the spike recorded and registers its two webhooks', () => {
    expect(space.calls).toContain('GET /v1/people/me');
    expect(space.calls.some((c) => c.startsWith('GET /u2c/api/v1/limited/catalog'))).toBe(true);
    expect(space.calls.some((c) => c.startsWith('GET /v1/memberships'))).toBe(true);
    expect(space.calls).toContain(`GET /v1/rooms/${space.rooms.group.id}`);
    const hooks = space.webhooks();
    expect(hooks.map((w) => `${w.resource}/${w.event}`).sort()).toEqual(['all/all', 'attachmentActions/created']);
    expect(hooks.every((w) => w.secret === 'compat-secret')).toBe(true);
  });

  it('answers a group message with a threaded reply and a card in the same room', async () => {
    const asked = await space.userSays('alice@example.com', 'hello there');
    const reply = await space.waitForMessage((m) => m.parentId === asked.id);
    expect(reply).toMatchObject({ roomId: space.rooms.group.id, markdown: 'hi **Alice Ops**', personId: space.bot.id });
    const card = await space.waitForMessage((m) => m.attachments !== undefined && m.roomId === space.rooms.group.id);
    expect(card.attachments?.[0]).toMatchObject({ contentType: 'application/vnd.microsoft.card.adaptive', content: CARD });
    expect(card.markdown).toBe('Your client cannot show cards');
    // The framework saw the text with the bot's @mention, as Webex sends it.
    expect(heard[0]).toBe('Medic hello there');
    // Webex delivers the bot's own messages too; every delivery was accepted by the framework's endpoint.
    expect(space.deliveries.every((d) => d.status === 200)).toBe(true);
  });

  it('routes a card submit to framework.on("attachmentAction") with the submitter as the person', async () => {
    const card = await space.waitForMessage((m) => m.attachments !== undefined);
    const action = await space.userSubmitsCard('bob@example.com', card.id, { action: 'approve', note: 'go' });
    const said = await space.waitForMessage((m) => m.text === 'approved by Bob Lead');
    expect(said.roomId).toBe(space.rooms.group.id);
    expect(actionsSeen).toEqual([{ inputs: { action: 'approve', note: 'go' }, messageId: card.id, personEmail: 'bob@example.com' }]);
    expect(space.calls).toContain(`GET /v1/attachment/actions/${action.id}`);
  });

  it('answers a direct message in the direct room without a mention', async () => {
    const room = space.rooms.direct['bob@example.com'];
    const asked = await space.userSays('bob@example.com', 'hello', { roomId: room.id });
    expect(asked.mentionedPeople).toBeUndefined();
    const reply = await space.waitForMessage((m) => m.parentId === asked.id);
    expect(reply.roomId).toBe(room.id);
  });

  it('uploads a file through the SDK as multipart and serves it back', async () => {
    await space.userSays('alice@example.com', 'upload');
    const withFile = await space.waitForMessage((m) => (m.files?.length ?? 0) > 0);
    expect(withFile.roomId).toBe(space.rooms.group.id);
    const res = await fetch(withFile.files![0], { headers: { authorization: `Bearer ${space.botToken}` } });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('"main" #1 prio=5 RUNNABLE\n');
    expect(res.headers.get('content-disposition')).toContain('threads.txt');
    expect(heard.filter((h) => h.startsWith('error'))).toEqual([]);
  });
});
