/**
 * `npm run bench:alerts`: an alert storm over loopback against the real bot (HTTP intake, `alerts` queue, incident
 * store, first cards into the local space), next to the bare BullMQ add+process rate on the same Redis as the
 * ceiling, measured in the same run on the same machine.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { cpus, loadavg, tmpdir } from 'node:os';
import type { Server } from 'node:http';
import { Queue, Worker } from 'bullmq';
import express from 'express';
import { Redis } from 'ioredis';
import type { LocalSpace } from '../src/local-space/local-space.js';
import { cleanPrefix, REDIS_URL, startHarness } from '../test/support/medic-harness.js';

const DELIVERIES = Number(process.env.BENCH_DELIVERIES ?? 20_000);
const DISTINCT = Number(process.env.BENCH_DISTINCT ?? Math.max(1, Math.round(DELIVERIES / 100)));
const ENVS = Number(process.env.BENCH_ENVS ?? Math.min(20, DISTINCT));
const SENDERS = Number(process.env.BENCH_SENDERS ?? 128);
const TOKEN = 'bench-alert-token-0123456789abcdef';

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const config = (space: LocalSpace) => `
environments: {}
alerts:
  groupWindowSeconds: 600
  followUpSeconds: 1
  defaultSpace: ${space.rooms.group.id}
routes:
  - { name: storm, match: {}, mode: notify }
`;

async function storm(): Promise<{ perSecond: number; p50: number; p99: number; firstCardMs: number; allCardsMs: number; incidents: number; statuses: Map<number, number> }> {
  const h = await startHarness({ configYaml: config, env: { MEDIC_ALERT_TOKEN: TOKEN, LOG_LEVEL: 'silent' } });
  try {
    const url = `http://127.0.0.1:${h.medic.port}/alerts/generic`;
    const bodies = Array.from({ length: DISTINCT }, (_, i) =>
      JSON.stringify({ id: `bench-${i}`, status: 'firing', title: `Bench alert ${i}`, severity: 'warning', environment: `bench-${i % ENVS}`, target: `i-${String(i).padStart(8, '0')}`, cycle: 'c1' }),
    );
    const isCard = (m: { personId?: string; parentId?: string; markdown?: string }) => m.personId === h.space.bot.id && !m.parentId && (m.markdown ?? '').includes('Bench alert');
    let t0 = 0;
    let firstCard: Promise<number> = Promise.resolve(0);
    let allCards: Promise<number> = Promise.resolve(0);
    const result = await runClient(url, bodies, () => {
      t0 = performance.now();
      firstCard = h.space.waitForMessage(isCard, 120_000).then(() => performance.now() - t0);
      allCards = h.space.waitForMessage(() => h.space.messages().filter(isCard).length >= ENVS, 300_000).then(() => performance.now() - t0);
    });
    const latencies = result.latencies;
    const statuses = result.statuses;
    const wall = result.wallMs;
    const [firstCardMs, allCardsMs] = await Promise.all([firstCard, allCards]);
    return { perSecond: DELIVERIES / (wall / 1000), p50: pct(latencies, 50), p99: pct(latencies, 99), firstCardMs, allCardsMs, incidents: h.space.messages().filter(isCard).length, statuses };
  } finally {
    await h.stop();
  }
}

interface ClientResult {
  wallMs: number;
  latencies: number[];
  statuses: Map<number, number>;
}

/** The senders run in a child process: one event loop for 128 HTTP clients and the bot would measure the client. */
async function runClient(url: string, bodies: string[], onStart: () => void): Promise<ClientResult> {
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), 'client', url], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  if ((await lines.next()).value !== 'ready') throw new Error('bench client did not start');
  onStart();
  child.stdin!.write(`${JSON.stringify(bodies)}\n`);
  const file = (await lines.next()).value as string;
  const r = JSON.parse(readFileSync(file, 'utf8')) as { wallMs: number; latencies: number[]; statuses: Array<[number, number]> };
  rmSync(file, { force: true });
  child.stdin!.end();
  return { wallMs: r.wallMs, latencies: r.latencies.sort((a, b) => a - b), statuses: new Map(r.statuses) };
}

/** The HTTP floor: express answering 202 after reading the body, nothing else, with the same client. */
async function bareHttp(): Promise<ClientResult> {
  const app = express();
  app.post('/x', express.raw({ type: () => true, limit: '1mb' }), (_req, res) => {
    res.status(202).json({ accepted: 1 });
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  try {
    return await runClient(`http://127.0.0.1:${(server.address() as { port: number }).port}/x`, ['{"id":"x"}'], () => undefined);
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
}

/** The ceiling: BullMQ alone, N unique jobs added by the same number of concurrent producers and processed (no-op). */
async function bareBullmq(): Promise<number> {
  const prefix = `medic-bench-${randomUUID().slice(0, 8)}`;
  const producer = new Redis(REDIS_URL, { maxRetriesPerRequest: 2 });
  const consumer = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const queue = new Queue('bare', { connection: producer, prefix, defaultJobOptions: { removeOnComplete: { count: 5000 } } });
  let done = 0;
  let resolveDone!: () => void;
  const finished = new Promise<void>((r) => (resolveDone = r));
  const worker = new Worker(
    'bare',
    async () => {
      if (++done === DELIVERIES) resolveDone();
    },
    { connection: consumer, prefix, concurrency: 8 },
  );
  try {
    await worker.waitUntilReady();
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: SENDERS }, async () => {
        while (next < DELIVERIES) {
          const i = next++;
          await queue.add('job', { i }, { jobId: `j-${i}` });
        }
      }),
    );
    await finished;
    return DELIVERIES / ((performance.now() - t0) / 1000);
  } finally {
    await worker.close();
    await queue.close();
    producer.disconnect();
    consumer.disconnect();
    await cleanPrefix(prefix);
  }
}

async function main(): Promise<void> {
  console.log(`machine: ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  console.log(`alert storm: ${DELIVERIES} deliveries of ${DISTINCT} distinct alerts in ${ENVS} environments, ${SENDERS} concurrent senders over loopback`);
  const s = await storm();
  console.log(`  statuses: ${[...s.statuses].map(([k, v]) => `${k}×${v}`).join(', ')}; incident cards: ${s.incidents} (expected ${ENVS})`);
  console.log(`  accepted: ${s.perSecond.toFixed(0)} alerts/s; POST→202 p50 ${s.p50.toFixed(1)} ms, p99 ${s.p99.toFixed(1)} ms`);
  console.log(`  first alert → first incident card in the space: ${s.firstCardMs.toFixed(0)} ms; → all ${ENVS} cards: ${s.allCardsMs.toFixed(0)} ms`);
  const ceiling = await bareBullmq();
  console.log(`bare BullMQ add+process (${DELIVERIES} unique jobs, same Redis, same concurrency): ${ceiling.toFixed(0)} jobs/s`);
  console.log(`ratio intake / BullMQ ceiling: ${(s.perSecond / ceiling).toFixed(2)}`);
  const http = await bareHttp();
  const httpRate = DELIVERIES / (http.wallMs / 1000);
  console.log(`bare express 202 (same client, no work): ${httpRate.toFixed(0)} req/s, p50 ${pct(http.latencies, 50).toFixed(1)} ms, p99 ${pct(http.latencies, 99).toFixed(1)} ms; ratio intake / HTTP floor: ${(s.perSecond / httpRate).toFixed(2)}`);
}

/** Child process: reads the bodies, posts DELIVERIES of them with SENDERS concurrent senders, prints the figures. */
async function client(url: string): Promise<void> {
  process.stdout.write('ready\n');
  const input = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  const bodies = JSON.parse((await input.next()).value as string) as string[];
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: SENDERS }, async () => {
      while (next < DELIVERIES) {
        const body = bodies[next++ % bodies.length]!;
        const s = performance.now();
        const r = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body });
        await r.arrayBuffer();
        latencies.push(performance.now() - s);
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      }
    }),
  );
  // Through a file: a 20,000-number line on a pipe can be cut by the exit that follows.
  const out = join(tmpdir(), `medic-bench-alerts-${process.pid}.json`);
  writeFileSync(out, JSON.stringify({ wallMs: performance.now() - t0, latencies, statuses: [...statuses] }));
  process.stdout.write(`${out}\n`);
}

(process.argv[2] === 'client' ? client(process.argv[3]!) : main()).then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
