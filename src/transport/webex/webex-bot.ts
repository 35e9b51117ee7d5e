import { createRequire } from 'node:module';
import type { InboundEvent } from '../../core/inbound.js';
import type { Logger } from '../../core/ports.js';

/**
 * The only code that touches webex-node-bot-framework (2.3.14, untyped, CommonJS). It turns the framework's
 * events into InboundEvents and works around its known hazards:
 *  - handlers are not awaited by the framework: every handler here catches and logs its own errors;
 *  - it checks signatures over re-serialised JSON: the HTTP layer checks the raw bytes instead, and the
 *    framework is given no secret of its own;
 *  - it deletes (on start and stop) webhooks it considers its own: webhook create/remove are replaced by an
 *    idempotent registration that never deletes, so replicas and other integrations on the token survive;
 *  - it reads the API location once, from the environment, when the SDK loads: `Webex.init` is wrapped to pass
 *    the configured API (the local space in the demo and tests) explicitly.
 */

const require = createRequire(import.meta.url);
const frameworkPath = require.resolve('webex-node-bot-framework');
// Same module instance the framework itself requires, so the init wrapper applies to it.
const requireFromFramework = createRequire(frameworkPath);

/* eslint-disable @typescript-eslint/no-explicit-any -- adapter edge over an untyped CommonJS library */
type Any = any;

interface WebexInitOverride {
  hydra?: string;
  u2c?: string;
  secret?: string;
  log: Logger;
}
let pendingInit: WebexInitOverride | undefined;
let initWrapped = false;

function wrapWebexInit(): void {
  if (initWrapped) return;
  const Webex = requireFromFramework('webex');
  const original = Webex.init.bind(Webex);
  Webex.init = (cfg: Any) => {
    const o = pendingInit;
    pendingInit = undefined;
    const services = o?.hydra ? { services: { discovery: { hydra: o.hydra, u2c: o.u2c } } } : {};
    // The SDK batches person look-ups for 100 ms; every message waits for one, so batch for 5 ms instead.
    const people = { people: { ...cfg.config?.people, batcherWait: 5 } };
    const webex = original({ ...cfg, config: { ...cfg.config, ...services, ...people } });
    if (o) makeWebhookRegistrationIdempotent(webex, o);
    return webex;
  };
  initWrapped = true;
}

function makeWebhookRegistrationIdempotent(webex: Any, o: WebexInitOverride): void {
  const hooks = webex.webhooks;
  const originalCreate = hooks.create.bind(hooks);
  hooks.create = async (wh: Any) => {
    const list = await hooks.list();
    const same = (list.items as Any[]).find((w) => w.name === wh.name && w.resource === wh.resource && w.event === wh.event && w.targetUrl === wh.targetUrl);
    if (same && same.status === 'active' && (o.secret === undefined || same.secret === undefined || same.secret === o.secret)) {
      o.log.info({ webhookId: same.id, resource: wh.resource }, 'webhook already registered');
      return same;
    }
    if (same) {
      o.log.info({ webhookId: same.id, resource: wh.resource }, 'webhook updated (secret or status changed)');
      return hooks.update({ ...same, secret: o.secret, status: 'active' });
    }
    const created = await originalCreate({ ...wh, ...(o.secret ? { secret: o.secret } : {}) });
    o.log.info({ webhookId: created.id, resource: wh.resource, targetUrl: wh.targetUrl }, 'webhook registered');
    return created;
  };
  // Never delete: another replica (or a restart a second later) relies on the same webhooks.
  hooks.remove = async () => undefined;
}

export interface WebexBotOptions {
  token: string;
  /** REST base, e.g. https://webexapis.com/v1 or the local space's /v1. */
  apiUrl: string;
  /** Public URL of POST /webex. Unset: websocket mode. */
  webhookUrl?: string;
  webhookSecret?: string;
  log: Logger;
  /** Receives each authenticated message or card action; must not throw (errors are logged). */
  onEvent: (event: InboundEvent) => Promise<void>;
}

export interface WebexBot {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Hands an already signature-checked webhook body to the framework. */
  processWebhook(body: unknown): Promise<void>;
  readonly identity: { email?: string; id?: string; displayName?: string };
}

const DEFAULT_API = 'https://webexapis.com/v1';

/** Removes the bot's @mention from the start of the text ("Medic help" → "help"). */
export function stripMention(text: string, botNames: string[]): string {
  let t = text.trim();
  for (const name of botNames.filter(Boolean).sort((a, b) => b.length - a.length)) {
    const lower = t.toLowerCase();
    for (const form of [`@${name.toLowerCase()}`, name.toLowerCase()]) {
      if (lower.startsWith(form) && (t.length === form.length || /[\s,:]/.test(t[form.length]!))) {
        t = t.slice(form.length).replace(/^[\s,:]+/, '');
        return t;
      }
    }
  }
  return t;
}

export function createWebexBot(opts: WebexBotOptions): WebexBot {
  wrapWebexInit();
  const Framework = require('webex-node-bot-framework');
  const webhookHandler = require('webex-node-bot-framework/webhook.js');
  const framework: Any = new Framework({
    token: opts.token,
    webhookUrl: opts.webhookUrl,
    // No webhookSecret here on purpose: see the header comment.
    removeWebhooksOnStart: false,
    messageFormat: 'markdown',
  });
  const handle = webhookHandler(framework);
  const log = opts.log.child({ component: 'webex' });
  const identity: WebexBot['identity'] = {};

  // The framework's constructor registers an 'error' listener that calls a missing console.err; replace it.
  framework.removeAllListeners('error');
  framework.on('error', (err: unknown) => log.error({ err }, 'framework error'));
  framework.on('log', (m: string) => log.debug({ framework: m }, 'framework log'));

  framework.on('message', (bot: Any, trigger: Any) => {
    void (async () => {
      const m = trigger.message;
      const mentioned = Array.isArray(m.mentionedPeople) && m.mentionedPeople.includes(framework.person?.id);
      // In group spaces Webex only sends bots the messages that mention them; the firehose may carry others.
      if (m.roomType !== 'direct' && !mentioned) return;
      const names = [framework.person?.displayName, String(framework.person?.displayName ?? '').split(' ')[0], framework.person?.nickName].filter(Boolean) as string[];
      const text = stripMention(String(trigger.text ?? ''), names);
      await opts.onEvent({
        type: 'message',
        messageId: m.id,
        roomId: m.roomId,
        roomType: m.roomType === 'direct' ? 'direct' : 'group',
        person: { email: String(trigger.person?.emails?.[0] ?? m.personEmail ?? '').toLowerCase(), id: m.personId, displayName: trigger.person?.displayName },
        text,
        ...(m.parentId ? { parentId: m.parentId } : {}),
        receivedAt: Date.now(),
      });
    })().catch((err) => log.error({ err, messageId: trigger?.message?.id }, 'handling a Webex message failed'));
  });

  framework.on('attachmentAction', (bot: Any, trigger: Any) => {
    void (async () => {
      const a = trigger.attachmentAction;
      // Answers to a card go in the card's thread: ask Webex which thread that is.
      let parentId: string | undefined;
      try {
        const cardMessage = await framework.webex.messages.get(a.messageId);
        parentId = cardMessage?.parentId ?? undefined;
      } catch (err) {
        log.warn({ err, messageId: a.messageId }, 'could not read the card message; answering in a new thread');
      }
      await opts.onEvent({
        type: 'action',
        actionId: a.id,
        messageId: a.messageId,
        roomId: a.roomId,
        ...(parentId ? { parentId } : { parentId: a.messageId }),
        person: { email: String(trigger.person?.emails?.[0] ?? '').toLowerCase(), id: a.personId, displayName: trigger.person?.displayName },
        inputs: a.inputs && typeof a.inputs === 'object' ? a.inputs : {},
        receivedAt: Date.now(),
      });
    })().catch((err) => log.error({ err, actionId: trigger?.attachmentAction?.id }, 'handling a card action failed'));
  });

  return {
    identity,
    async start() {
      const custom = opts.apiUrl.replace(/\/+$/, '') !== DEFAULT_API;
      const origin = new URL(opts.apiUrl).origin;
      pendingInit = { log, secret: opts.webhookSecret, ...(custom ? { hydra: opts.apiUrl.replace(/\/+$/, ''), u2c: `${origin}/u2c/api/v1` } : {}) };
      const initialized = new Promise<void>((resolve) => framework.once('initialized', () => resolve()));
      await framework.start();
      await initialized;
      identity.email = framework.email;
      identity.id = framework.person?.id;
      identity.displayName = framework.person?.displayName;
      log.info({ bot: identity.email, mode: opts.webhookUrl ? 'webhook' : 'websocket' }, 'connected to Webex');
    },
    async stop() {
      try {
        await framework.stop();
      } catch (err) {
        log.warn({ err }, 'framework stop failed');
      }
    },
    async processWebhook(body: unknown) {
      // The framework answers `res` itself; we already answered the HTTP request, so pass none.
      await handle({ body, headers: {} }, undefined);
    },
  };
}
