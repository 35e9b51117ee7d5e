/**
 * `npm run bench:ping`: 200 pings through the whole path (local Webex space → signed webhook → framework → inbound
 * queue → runbooks queue → worker → replies queue → Webex REST) beside the bare BullMQ add→complete round trip on
 * the same Redis, measured in the same run. Prints p50/p95; asserts nothing.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Queue, QueueEvents, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { cleanPrefix, REDIS_URL, startHarness } from '../test/support/medic-harness.js';

const N = Number(process.env.BENCH_N ?? 200);

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}
const fmt = (xs: number[]) => `p50 ${pct(xs, 50).toFixed(1)} ms  p95 ${pct(xs, 95).toFixed(1)} ms  max ${Math.max(...xs).toFixed(1)} ms`;

async function bareBullmq(): Promise<number[]> {
  const prefix = `medic-bench-${randomUUID().slice(0, 8)}`;
  const conn = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const queue = new Queue('bare', { connection: conn, prefix });
  const events = new QueueEvents('bare', { connection: { url: REDIS_URL } as never, prefix });
  const worker = new Worker('bare', async () => 'ok', { connection: new Redis(REDIS_URL, { maxRetriesPerRequest: null }), prefix });
  await events.waitUntilReady();
  const times: number[] = [];
  for (let i = 0; i < N; i++) {
    const t = performance.now();
    const job = await queue.add('x', { i });
    await job.waitUntilFinished(events, 10_000);
    times.push(performance.now() - t);
  }
  await worker.close();
  await events.close();
  await queue.close();
  conn.disconnect();
  await cleanPrefix(prefix);
  return times;
}

async function medicPings(): Promise<{ times: number[]; coldStartMs: number }> {
  const t0 = performance.now();
  const h = await startHarness({ env: { LOG_LEVEL: 'silent' } });
  const coldStartMs = performance.now() - t0;
  const times: number[] = [];
  try {
    for (let i = 0; i < N; i++) {
      const t = performance.now();
      await h.ask('alice@example.com', 'ping', { timeoutMs: 20_000 });
      times.push(performance.now() - t);
    }
  } finally {
    await h.stop();
  }
  return { times, coldStartMs };
}

const bare = await bareBullmq();
const { times, coldStartMs } = await medicPings();
console.log(`bench:ping  ${N} round trips each, Redis ${REDIS_URL}`);
console.log(`  Medic start (local space + framework + queues + webhooks registered): ${coldStartMs.toFixed(0)} ms`);
console.log(`  Medic ping, message posted → reply card in the local space: ${fmt(times)}`);
console.log(`  bare BullMQ add → completed (QueueEvents):                    ${fmt(bare)}`);
console.log(`  ratio p50 ${(pct(times, 50) / pct(bare, 50)).toFixed(1)}×  p95 ${(pct(times, 95) / pct(bare, 95)).toFixed(1)}×`);
process.exit(0);
