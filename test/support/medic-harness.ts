import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { createLocalSpace, type LocalSpace, type Message } from '../../src/local-space/local-space.js';
import { loadConfig } from '../../src/config.js';
import { startMedic, type MedicOverrides, type RunningMedic } from '../../src/main.js';
import { createLogger } from '../../src/logger.js';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export const DEFAULT_TEST_CONFIG = `
environments:
  demo:
    client: Demo
    tiers:
      app:
        targets: { instanceIds: [local] }
  acme-prod:
    client: Acme
    tags: { prod: true }
    tiers:
      app:
        targets: { tag: { Env: acme-prod, Tier: app } }
access:
  - { who: alice@example.com, role: operator }
  - { who: bob@example.com, role: approver }
  - { who: "*@example.com", role: viewer, envs: [demo] }
`;

export interface Harness {
  space: LocalSpace;
  medic: RunningMedic;
  prefix: string;
  secret: string;
  /** Posts as a user in the group room and waits for the bot's first reply in that message's thread. */
  ask(email: string, text: string, opts?: { timeoutMs?: number }): Promise<{ request: Message; reply: Message }>;
  /** Stops the bot and starts a new one on the same Redis prefix and space: what survives lives in Redis. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** The real bot (framework, queues, workers) wired to a local Webex space and real Redis, on a private prefix. */
export async function startHarness(opts: { configYaml?: string | ((space: LocalSpace) => string); overrides?: MedicOverrides; env?: Record<string, string> } = {}): Promise<Harness> {
  const space = await createLocalSpace();
  const prefix = `medic-test-${randomUUID().slice(0, 8)}`;
  const secret = `secret-${randomUUID()}`;
  const config = loadConfig(
    {
      WEBEX_TOKEN: space.botToken,
      WEBEX_API_URL: space.hydraUrl,
      WEBEX_WEBHOOK_SECRET: secret,
      PORT: '0',
      HOST: '127.0.0.1',
      REDIS_URL,
      MEDIC_QUEUE_PREFIX: prefix,
      MEDIC_CONFIG: 'test-config.yaml',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
      ...opts.env,
    },
    // A function sees the space first: configs that name its rooms (incident spaces) need their ids.
    () => (typeof opts.configYaml === 'function' ? opts.configYaml(space) : (opts.configYaml ?? DEFAULT_TEST_CONFIG)),
  );
  const start = () =>
    startMedic(config, {
      log: createLogger(config.env.LOG_LEVEL),
      webhookUrl: (port) => `http://127.0.0.1:${port}/webex`,
      ...opts.overrides,
    });
  const medic = await start();
  await space.waitForWebhooks((hooks) => hooks.length >= 2);
  const harness: Harness = {
    space,
    medic,
    prefix,
    secret,
    async ask(email, text, o = {}) {
      const request = await space.userSays(email, text);
      const reply = await space.waitForMessage((m) => m.personId === space.bot.id && m.parentId === request.id, o.timeoutMs ?? 15_000);
      return { request, reply };
    },
    async restart() {
      await harness.medic.stop();
      const before = space.webhooks().length;
      harness.medic = await start();
      // A new port means a new webhook URL: wait until the new bot's webhooks are registered.
      await space.waitForWebhooks((hooks) => hooks.length >= before + 2);
    },
    async stop() {
      await harness.medic.stop();
      await space.close();
      await cleanPrefix(prefix);
    },
  };
  return harness;
}

/** Removes every Redis key of a test prefix. */
export async function cleanPrefix(prefix: string): Promise<void> {
  const r = new Redis(REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await r.del(...keys);
    } while (cursor !== '0');
  } finally {
    r.disconnect();
  }
}

export function cardOf(m: Message): unknown {
  return m.attachments?.[0]?.content;
}
