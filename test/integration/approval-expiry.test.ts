import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseCommand } from '../../commands/parse.js';
import type { AppDeps } from '../../src/app/app-deps.js';
import { decideApproval } from '../../src/app/approvals.js';
import { handleInbound } from '../../src/app/handle-inbound.js';
import { submitJob, type JobPlan } from '../../src/app/submit-job.js';
import type { InboundEvent } from '../../src/core/inbound.js';
import { systemClock } from '../../src/core/ports.js';
import { createLogger } from '../../src/logger.js';
import { createScheduler } from '../../src/queue/job-control.js';
import { createRedis } from '../../src/queue/redis.js';
import { startInboundWorker } from '../../src/queue/workers.js';
import { cardText, expectValidCard } from '../support/adaptive-card.js';
import { createTestApp, type TestApp } from '../support/app-deps.js';
import { REDIS_URL } from '../support/medic-harness.js';

// A short expiry from the config, as an operator would set it for a demo: 0.05 min = 3 s.
const CONFIG = `
environments:
  lab:
    databases: { main: { urlEnv: LAB_DB_URL } }
access:
  - { who: alice@example.com, role: operator }
  - { who: bob@example.com, role: approver }
approvals: { expiryMinutes: 0.05 }
`;

/** How far the clock of the host that runs the expiry lags the one that scheduled it. */
const SKEW_MS = 1_500;
const room = { roomId: 'room-1', parentId: 'msg-1' };

describe('approval expiry on real Redis with a real inbound worker', () => {
  let app: TestApp;
  let conn: Redis;
  let worker: Worker<InboundEvent, void> | undefined;
  beforeEach(async () => {
    app = await createTestApp(CONFIG);
    conn = createRedis(REDIS_URL, 'worker');
  });
  afterEach(async () => {
    await worker?.close();
    conn.disconnect();
    await app.close();
  });

  it('tells the thread when the expiry job fires early (clock skew) and has to wait, then refuses and audits a late press', async () => {
    // Host A asks (its clock is right); host B, whose clock lags, runs the expiry job.
    const hostA: AppDeps = { ...app.deps, clock: systemClock, scheduler: createScheduler(app.queues, systemClock) };
    const lagging = { now: () => Date.now() - SKEW_MS };
    const hostB: AppDeps = { ...app.deps, clock: lagging, scheduler: createScheduler(app.queues, lagging) };
    expect(hostA.policy.expiryMinutes).toBe(0.05);

    const text = 'db cancel lab/main 4242';
    const { command, input } = parseCommand(text, hostA.commands);
    const plan = command.plan({ ...input, inventory: hostA.config.inventory, receivedAt: Date.now() }) as JobPlan;
    const out = await submitJob({ sourceId: 'msg-expiry', plan, actor: { type: 'person', email: 'alice@example.com' }, replyTo: room, origin: text, command }, hostA);
    if (out.status !== 'approval') throw new Error('expected an approval');

    const expiryRuns: string[] = [];
    const expired = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the approval never expired; expiry jobs that ran: ${JSON.stringify(expiryRuns)}`)), 20_000);
      worker = startInboundWorker({ connection: conn, prefix: app.prefix, log: createLogger('silent'), handle: (event) => handleInbound(event, hostB) });
      worker.on('completed', (job) => {
        expiryRuns.push(job.id!);
        void hostB.approvals.get(out.approvalId).then((rec) => {
          if (rec?.status !== 'expired') return;
          clearTimeout(timer);
          resolve();
        });
      });
    });
    await expired;
    // It ran twice: early (rescheduled under a new id), then at the expiry on host B's clock.
    expect(expiryRuns.length).toBeGreaterThanOrEqual(2);
    expect(new Set(expiryRuns).size).toBe(expiryRuns.length);

    const replies = await app.replies();
    const notice = replies[replies.length - 1]!;
    expect(notice.text).toMatch(/^⌛ alice@example.com: nobody approved "db cancel lab\/main 4242" in time; it expired and nothing ran/);
    expectValidCard({ card: notice.card, text: notice.text });
    expect(cardText(notice.card)).toMatch(/Expired[\s\S]*Expired at/);

    const rec = (await hostB.approvals.get(out.approvalId))!;
    await decideApproval({ approvalId: rec.id, hash: rec.hash, decision: 'approve', person: { email: 'bob@example.com' }, replyTo: room, sourceId: 'late-press' }, hostB);
    expect((await app.replies()).pop()!.text).toMatch(/bob@example.com: this request was already expired\. Nothing changed\./);
    const [refusal] = await hostB.audit.read({ limit: 1 });
    expect(refusal).toMatchObject({ type: 'approval-refused', actor: 'bob@example.com', approvalId: rec.id });
    expect(refusal!.detail).toMatch(/^approve: after expiry/);
    expect(await app.queues.runbooks.count()).toBe(0);
  }, 30_000);
});
