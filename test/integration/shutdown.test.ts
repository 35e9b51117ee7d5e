import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobResult, RunbookJobData } from '../../src/core/jobs.js';
import type { Logger } from '../../src/core/ports.js';
import { createRedisAuditLog } from '../../src/queue/audit.js';
import { createMedicQueues, type MedicQueues } from '../../src/queue/queues.js';
import { createRedis } from '../../src/queue/redis.js';
import { startRunbooksWorker } from '../../src/queue/workers.js';
import { cleanPrefix, REDIS_URL } from '../support/medic-harness.js';

/**
 * SIGTERM to a real worker process (main(): the image's CMD), as `docker stop` or Kubernetes sends it: a job shorter
 * than MEDIC_SHUTDOWN_GRACE_MS finishes and reports before the process exits; a longer one goes back to the queue
 * when the grace ends, reports nothing, and another worker runs it.
 */

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const CONFIG = `
environments:
  demo:
    tiers:
      quick: { targets: { instanceIds: [local] }, jvm: { process: quick-jvm } }
      slow: { targets: { instanceIds: [local] }, jvm: { process: slow-jvm } }
`;
const silent: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {}, child: () => silent };

interface Child {
  proc: ChildProcess;
  lines: Array<Record<string, unknown>>;
  /** Resolves with the first log line (past or future) that `match` accepts. */
  waitFor(match: (l: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

describe('SIGTERM to a worker process', () => {
  const prefix = `medic-test-${randomUUID().slice(0, 8)}`;
  const producer = createRedis(REDIS_URL, 'producer');
  const children: ChildProcess[] = [];
  let dir: string;
  let queues: MedicQueues;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'medic-shutdown-'));
    writeFileSync(join(dir, 'medic.yaml'), CONFIG);
    queues = createMedicQueues(producer, prefix);
  });
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await queues.close();
    producer.disconnect();
    await cleanPrefix(prefix);
    rmSync(dir, { recursive: true, force: true });
  });

  function startWorkerProcess(graceMs: number): Child {
    const proc = spawn(process.execPath, ['--import', 'tsx', 'test/support/medic-worker-child.ts'], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, MEDIC_ROLE: 'worker', REDIS_URL, MEDIC_QUEUE_PREFIX: prefix, MEDIC_CONFIG: join(dir, 'medic.yaml'), MEDIC_SHUTDOWN_GRACE_MS: String(graceMs), PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' },
    });
    children.push(proc);
    const lines: Array<Record<string, unknown>> = [];
    const waiters: Array<{ match: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }> = [];
    let stderr = '';
    proc.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    createInterface({ input: proc.stdout! }).on('line', (text) => {
      let line: Record<string, unknown>;
      try {
        line = JSON.parse(text) as Record<string, unknown>;
      } catch {
        line = { msg: text };
      }
      lines.push(line);
      for (const w of waiters.splice(0)) (w.match(line) ? w.resolve(line) : waiters.push(w));
    });
    const exited = once(proc, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null, at: Date.now() }));
    return {
      proc,
      lines,
      exited,
      waitFor: (match) =>
        new Promise((resolve, reject) => {
          const seen = lines.find(match);
          if (seen) return resolve(seen);
          waiters.push({ match, resolve });
          void exited.then(() => reject(new Error(`the worker exited first; stderr: ${stderr.slice(-2000)}; log: ${lines.map((l) => l.msg).join(' | ')}`)));
        }),
    };
  }

  const job = (tier: string): RunbookJobData => ({
    request: { kind: 'health.check', env: 'demo', tier },
    actor: { type: 'person', email: 'alice@example.com' },
    replyTo: { roomId: 'room-1', parentId: `msg-${tier}` },
    risk: 'read',
    origin: `health demo ${tier}`,
    env: 'demo',
  });

  async function repliesFor(jobId: string): Promise<string[]> {
    const all = await queues.replies.getJobs(['waiting', 'active', 'completed', 'failed', 'delayed']);
    return all.filter((j) => j.id?.includes(jobId)).map((j) => j.id!);
  }

  it('lets a job shorter than the grace finish and report before the process exits', async () => {
    const child = startWorkerProcess(60_000);
    await child.waitFor((l) => l.msg === 'Medic started');
    const id = `quick-${randomUUID().slice(0, 8)}`;
    await queues.runbooks.add('health.check', job('quick'), { jobId: id });
    await child.waitFor((l) => l.msg === 'test executor started' && l.which === 'quick-jvm');

    child.proc.kill('SIGTERM');
    const exit = await child.exited;
    expect(exit).toMatchObject({ code: 0, signal: null });
    const j = await queues.runbooks.getJob(id);
    expect(await j!.getState()).toBe('completed');
    expect((j!.returnvalue as JobResult).kind).toBe('health.check');
    // Its card was queued for the replies worker before the process left.
    expect(await repliesFor(id)).not.toEqual([]);
    expect(child.lines.map((l) => l.msg)).toEqual(expect.arrayContaining(['shutdown requested', 'stopped']));
  });

  it('hands a job longer than the grace back to the queue, exits soon after the grace, and another worker runs it', async () => {
    const graceMs = 2_000;
    const child = startWorkerProcess(graceMs);
    await child.waitFor((l) => l.msg === 'Medic started');
    const id = `slow-${randomUUID().slice(0, 8)}`;
    await queues.runbooks.add('health.check', job('slow'), { jobId: id });
    await child.waitFor((l) => l.msg === 'test executor started' && l.which === 'slow-jvm');

    const signalled = Date.now();
    child.proc.kill('SIGTERM');
    const exit = await child.exited;
    // Exit 0: the drain itself ended, not the force-exit timer (grace + 30 s).
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit.at - signalled).toBeGreaterThanOrEqual(graceMs);
    expect(exit.at - signalled).toBeLessThan(graceMs + 20_000);
    expect(child.lines).toContainEqual(expect.objectContaining({ msg: 'test executor aborted', reason: expect.stringContaining('JobRequeuedError') }));
    expect(child.lines).toContainEqual(expect.objectContaining({ jobId: id, msg: expect.stringMatching(/^shutdown grace over: job handed back to the queue/) }));

    const j = await queues.runbooks.getJob(id);
    expect(await j!.getState()).toBe('waiting');
    expect(j!.attemptsMade).toBe(0);
    // The interrupted run posted nothing (no "cancelled" card whose dedupe key would silence the real one).
    expect(await repliesFor(id)).toEqual([]);
    const audit = await createRedisAuditLog(producer, prefix, 1000).read({ limit: 100 });
    expect(audit.filter((e) => e.jobId === id).map((e) => [e.type, e.detail])).toEqual(expect.arrayContaining([['job-end', 'interrupted by shutdown; handed back to the queue to run again']]));

    const connection = createRedis(REDIS_URL, 'worker');
    const next = startRunbooksWorker({ connection, prefix, log: silent, run: async (info) => ({ kind: 'system.ping', summary: `recovered ${info.id}` }) as unknown as JobResult });
    try {
      const [done] = (await once(next, 'completed')) as [{ id: string; returnvalue: { summary: string } }];
      expect(done.id).toBe(id);
      expect(done.returnvalue.summary).toBe(`recovered ${id}`);
    } finally {
      await next.close();
      connection.disconnect();
    }
  });
});
