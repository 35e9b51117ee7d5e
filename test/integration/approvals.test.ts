import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseCommand } from '../../commands/parse.js';
import { decideApproval, expireApproval, approvalsFor, cancelJob } from '../../src/app/approvals.js';
import type { AppDeps } from '../../src/app/app-deps.js';
import { handleCommandText } from '../../src/app/handle-message.js';
import { runAudit } from '../../src/cli/audit.js';
import { submitJob, type JobPlan } from '../../src/app/submit-job.js';
import { PermissionError } from '../../src/core/errors.js';
import { createTestApp, type TestApp } from '../support/app-deps.js';
import { cardText, expectValidCard } from '../support/adaptive-card.js';
import { REDIS_URL } from '../support/medic-harness.js';

const CONFIG = `
environments:
  lab:
    tiers: { app: { targets: { instanceIds: [local] } } }
    databases: { main: { urlEnv: LAB_DB_URL } }
  acme-prod:
    tags: { prod: true }
    tiers: { app: { targets: { tag: { Env: acme-prod } } } }
    databases: { main: { urlEnv: ACME_DB_URL } }
access:
  - { who: alice@example.com, role: operator }
  - { who: bob@example.com, role: approver }
  - { who: dave@example.com, role: approver }
  - { who: "*@approvers.example", role: approver }
  - { who: vic@example.com, role: viewer }
  - { who: root@example.com, role: admin }
approvals: { expiryMinutes: 30, prodDestructiveApprovers: 2 }
budgets:
  - { kind: health.check, per: env, max: 1, windowMinutes: 60 }
`;

const room = { roomId: 'room-1', parentId: 'msg-1' };
const person = (email: string) => ({ email });

function planFor(app: TestApp, text: string) {
  const { command, input } = parseCommand(text, app.deps.commands);
  const plan = command.plan({ ...input, inventory: app.deps.config.inventory, receivedAt: app.clock.now() });
  if (plan.type !== 'job') throw new Error('not a job');
  return { command, plan: plan as JobPlan, reason: input.reason };
}

async function ask(app: TestApp, email: string, text: string, sourceId = `src-${Math.random()}`) {
  const { command, plan, reason } = planFor(app, text);
  return submitJob({ sourceId, plan, actor: { type: 'person', email }, replyTo: room, origin: text, command, reason }, app.deps);
}

/** Replies in the order the replies worker will post them (oldest first in the wait list). */
async function queuedTexts(app: TestApp): Promise<string[]> {
  return (await app.queues.replies.getJobs(['waiting'], 0, -1, true)).map((j) => j.data.text);
}

async function lastReplyText(app: TestApp): Promise<string> {
  const r = await app.replies();
  return r.length ? (r[r.length - 1]!.text ?? '') : '';
}

describe('approvals on real Redis', () => {
  let app: TestApp;
  beforeEach(async () => {
    app = await createTestApp(CONFIG);
  });
  afterEach(async () => {
    await app.close();
  });

  it('asks for approval for a change, with a valid card naming what will run', async () => {
    const out = await ask(app, 'alice@example.com', 'db cancel lab/main 4242 because runaway report');
    expect(out.status).toBe('approval');
    const replies = await app.replies();
    const card = replies.find((r) => r.card)!;
    expectValidCard({ card: card.card, text: card.text });
    const text = cardText(card.card);
    expect(text).toContain('4242');
    expect(text).toContain('runaway report');
    expect(text).toContain('[Approve]');
    expect(await app.queues.runbooks.count()).toBe(0);
  });

  it('refuses self-approval and runs nothing', async () => {
    const out = await ask(app, 'alice@example.com', 'db cancel lab/main 4242');
    if (out.status !== 'approval') throw new Error('expected approval');
    const rec = (await app.deps.approvals.get(out.approvalId))!;
    await app.deps.approvals.create({ ...rec, requester: 'bob@example.com', id: `${rec.id}-b`, jobId: `${rec.jobId}-b` });
    await decideApproval({ approvalId: `${rec.id}-b`, hash: rec.hash, decision: 'approve', person: person('bob@example.com'), replyTo: room }, app.deps);
    expect(await lastReplyText(app)).toMatch(/you asked for this/);
    expect(await app.queues.runbooks.count()).toBe(0);
    const [entry] = await app.deps.audit.read({ limit: 1 });
    expect(entry).toMatchObject({ type: 'approval-refused', actor: 'bob@example.com', detail: 'approve: self-approval (the requester cannot approve)' });
  });

  it('lets exactly one of 10 concurrent Approve presses start the job', async () => {
    const out = await ask(app, 'alice@example.com', 'db cancel lab/main 77');
    if (out.status !== 'approval') throw new Error('expected approval');
    const rec = (await app.deps.approvals.get(out.approvalId))!;
    await Promise.all(
      Array.from({ length: 10 }, (_, i) => decideApproval({ approvalId: rec.id, hash: rec.hash, decision: 'approve', person: person(`a${i}@approvers.example`), replyTo: room }, app.deps)),
    );
    expect(await app.queues.runbooks.getJobCounts('waiting')).toEqual({ waiting: 1 });
    const texts = (await app.replies()).map((r) => r.text);
    expect(texts.filter((t) => /Approved by/.test(t))).toHaveLength(1);
    expect(texts.filter((t) => /decided this a moment before you|already approved/.test(t))).toHaveLength(9);
    expect((await app.deps.approvals.get(rec.id))!.status).toBe('approved');
  });

  it('checks the approver role when the button is pressed', async () => {
    const out = await ask(app, 'alice@example.com', 'db kill lab/main 77 because stuck');
    if (out.status !== 'approval') throw new Error('expected approval');
    const rec = (await app.deps.approvals.get(out.approvalId))!;
    expect(rec.approverRole).toBe('approver');
    await decideApproval({ approvalId: rec.id, hash: rec.hash, decision: 'approve', person: person('vic@example.com'), replyTo: room }, app.deps);
    expect(await lastReplyText(app)).toMatch(/needs the approver role/);
    expect((await app.deps.approvals.get(rec.id))!.status).toBe('pending');
  });

  it('needs two distinct approvers for destructive actions in prod', async () => {
    const out = await ask(app, 'root@example.com', 'db kill acme-prod/main 91 because blocking everything');
    if (out.status !== 'approval') throw new Error('expected approval');
    const rec = (await app.deps.approvals.get(out.approvalId))!;
    expect(rec.needed).toBe(2);
    const press = (email: string) => decideApproval({ approvalId: rec.id, hash: rec.hash, decision: 'approve', person: person(email), replyTo: room }, app.deps);
    await press('bob@example.com');
    expect(await lastReplyText(app)).toMatch(/1 of 2/);
    await press('bob@example.com');
    expect(await lastReplyText(app)).toMatch(/already approved/);
    expect(await app.queues.runbooks.count()).toBe(0);
    await press('dave@example.com');
    expect(await lastReplyText(app)).toMatch(/Approved by bob@example.com and dave@example.com/);
    expect(await app.queues.runbooks.count()).toBe(1);
  });

  it('expires on time, tells the thread, and refuses a late press', async () => {
    const out = await ask(app, 'alice@example.com', 'db cancel lab/main 5');
    if (out.status !== 'approval') throw new Error('expected approval');
    const rec = (await app.deps.approvals.get(out.approvalId))!;
    const scheduled = await app.queues.inbound.getJobs(['delayed']);
    expect(scheduled.map((j) => j.data)).toContainEqual({ type: 'approval-expiry', approvalId: rec.id, receivedAt: rec.expiresAt });
    app.clock.set(rec.expiresAt + 1);
    await expireApproval(rec.id, app.deps);
    expect(await lastReplyText(app)).toMatch(/expired and nothing ran/);
    const expired = (await app.replies()).pop()!;
    expectValidCard({ card: expired.card, text: expired.text });
    expect(cardText(expired.card)).toMatch(/Expired[\s\S]*Expired at[\s\S]*Ran[\s\S]*nothing/);
    await decideApproval({ approvalId: rec.id, hash: rec.hash, decision: 'approve', person: person('bob@example.com'), replyTo: room }, app.deps);
    expect(await lastReplyText(app)).toMatch(/already expired/);
    expect(await app.queues.runbooks.count()).toBe(0);
  });

  it('refuses to run when the targets resolve differently at approval time, and asks again', async () => {
    const out = await ask(app, 'alice@example.com', 'db cancel lab/main 5');
    if (out.status !== 'approval') throw new Error('expected approval');
    const rec = (await app.deps.approvals.get(out.approvalId))!;
    // The database moved to another environment variable: the resolved job is no longer what was approved.
    const lab = app.deps.config.inventory.lab!;
    app.deps.config.inventory.lab = { ...lab, databases: {} };
    await decideApproval({ approvalId: rec.id, hash: rec.hash, decision: 'approve', person: person('bob@example.com'), replyTo: room }, app.deps);
    expect((await app.deps.approvals.get(rec.id))!.status).toBe('superseded');
    expect((await app.replies()).map((r) => r.text).join('\n')).toMatch(/Not run: .*main/);
    expect(await app.queues.runbooks.count()).toBe(0);
  });

  it('ignores a stale card (hash mismatch)', async () => {
    const out = await ask(app, 'alice@example.com', 'db cancel lab/main 5');
    if (out.status !== 'approval') throw new Error('expected approval');
    await decideApproval({ approvalId: out.approvalId, hash: 'not-the-hash', decision: 'approve', person: person('bob@example.com'), replyTo: room }, app.deps);
    expect(await lastReplyText(app)).toMatch(/out of date/);
    expect((await app.deps.approvals.get(out.approvalId))!.status).toBe('pending');
  });

  it('requires a reason to reject, then records the rejection', async () => {
    const out = await ask(app, 'alice@example.com', 'db cancel lab/main 5');
    if (out.status !== 'approval') throw new Error('expected approval');
    const rec = (await app.deps.approvals.get(out.approvalId))!;
    await decideApproval({ approvalId: rec.id, hash: rec.hash, decision: 'reject', person: person('bob@example.com'), replyTo: room }, app.deps);
    expect(await lastReplyText(app)).toMatch(/say why/);
    await decideApproval({ approvalId: rec.id, hash: rec.hash, decision: 'reject', note: 'wrong pid', person: person('bob@example.com'), replyTo: room }, app.deps);
    expect(await lastReplyText(app)).toMatch(/Rejected by bob@example.com: wrong pid/);
    expect((await app.deps.approvals.get(rec.id))!.status).toBe('rejected');
  });

  it('turns a read job into an approval once its budget is spent, showing the recent runs', async () => {
    const first = await ask(app, 'alice@example.com', 'health lab');
    expect(first.status).toBe('enqueued');
    const second = await ask(app, 'alice@example.com', 'health lab');
    expect(second.status).toBe('approval');
    const card = (await app.replies()).filter((r) => r.card).pop()!;
    expect(cardText(card.card)).toMatch(/Budget spent: 1 health.check per environment per 1 h/);
    expect(cardText(card.card)).toContain(first.status === 'enqueued' ? first.jobId : '');
  });

  it('lists pending approvals for approvers only, and lets the requester withdraw one', async () => {
    const out = await ask(app, 'alice@example.com', 'db cancel lab/main 5');
    if (out.status !== 'approval') throw new Error('expected approval');
    expect((await approvalsFor('bob@example.com', app.deps)).map((r) => r.id)).toEqual([out.approvalId]);
    expect(await approvalsFor('alice@example.com', app.deps)).toEqual([]);
    expect(await approvalsFor('vic@example.com', app.deps)).toEqual([]);
    const rec = (await app.deps.approvals.get(out.approvalId))!;
    await expect(cancelJob(rec.jobId, person('bob@example.com'), room, app.deps)).rejects.toThrow(/Only alice@example.com/);
    await cancelJob(rec.jobId, person('alice@example.com'), room, app.deps);
    expect((await app.deps.approvals.get(rec.id))!.status).toBe('cancelled');
  });

  it('refuses a viewer before anything is queued, and audits requests and refusals', async () => {
    await expect(ask(app, 'vic@example.com', 'db cancel lab/main 5')).rejects.toBeInstanceOf(PermissionError);
    const entries = await app.deps.audit.read({ limit: 10 });
    expect(entries.map((e) => e.type)).toEqual(['refused', 'request']);
    expect(entries[0]!.actor).toBe('vic@example.com');
  });

  it('answers losing presses only after the winner’s decision card is queued, and audits each loss', async () => {
    const out = await ask(app, 'alice@example.com', 'db cancel lab/main 78');
    if (out.status !== 'approval') throw new Error('expected approval');
    const rec = (await app.deps.approvals.get(out.approvalId))!;
    // Hold the winner between its decision and queuing its job until every loser has answered or is waiting to:
    // without the ordering, the losers' answers are queued ahead of "Approved".
    let losersDone = 0;
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const loserStep = () => void (++losersDone >= 9 && open());
    const store = app.deps.approvals;
    const deps: AppDeps = {
      ...app.deps,
      runbooks: { ...app.deps.runbooks, enqueueRunbook: async (id, data) => (await gate, app.deps.runbooks.enqueueRunbook(id, data)) },
      approvals: { ...store, awaitAnnouncement: (...a) => (loserStep(), store.awaitAnnouncement(...a)) },
    };
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        decideApproval({ approvalId: rec.id, hash: rec.hash, decision: 'approve', person: person(`b${i}@approvers.example`), replyTo: room, sourceId: `act-${i}` }, deps).finally(loserStep),
      ),
    );
    const texts = (await queuedTexts(app)).filter((t) => !/Approval needed/.test(t));
    expect(texts).toHaveLength(10);
    expect(texts[0]).toMatch(/^✅ Approved by b\d@approvers.example\. Job `[^`]+` is queued/);
    for (const t of texts.slice(1)) expect(t).toMatch(/decided this a moment before you|already approved/);
    const audit = await app.deps.audit.read({ limit: 50 });
    const refused = audit.filter((e) => e.type === 'approval-refused');
    expect(refused).toHaveLength(9);
    for (const e of refused) expect(e.detail).toMatch(/^approve: (lost the race|after the decision) \(.*approved by b\d@approvers.example/);
    expect(audit.filter((e) => e.type === 'approval-decision').map((e) => e.detail)).toEqual(['approve: approved']);
  });

  it('audits every refused press with its reason, and `audit` in chat and `medic audit` show them', async () => {
    const out = await ask(app, 'alice@example.com', 'db kill lab/main 79 because stuck');
    if (out.status !== 'approval') throw new Error('expected approval');
    const rec = (await app.deps.approvals.get(out.approvalId))!;
    const press = (email: string, over: Partial<Parameters<typeof decideApproval>[0]> = {}) =>
      decideApproval({ approvalId: rec.id, hash: rec.hash, decision: 'approve', person: person(email), replyTo: room, ...over }, app.deps);
    await press('bob@example.com', { hash: 'f00dfeedf00dfeed' });
    await press('vic@example.com');
    await press('bob@example.com', { decision: 'reject' });
    await press('alice@example.com');
    await press('bob@example.com');
    await press('dave@example.com');
    const late = await ask(app, 'alice@example.com', 'db cancel lab/main 80');
    if (late.status !== 'approval') throw new Error('expected approval');
    const lateRec = (await app.deps.approvals.get(late.approvalId))!;
    app.clock.set(lateRec.expiresAt + 1);
    await decideApproval({ approvalId: lateRec.id, hash: lateRec.hash, decision: 'approve', person: person('bob@example.com'), replyTo: room }, app.deps);

    const refused = (await app.deps.audit.read({ limit: 50 })).filter((e) => e.type === 'approval-refused').reverse();
    expect(refused.map((e) => [e.actor, e.detail])).toEqual([
      ['bob@example.com', 'approve: stale or altered card (hash f00dfeedf00d)'],
      ['vic@example.com', 'approve: no role (needs approver in lab, has viewer)'],
      ['bob@example.com', 'reject: no reason given'],
      ['alice@example.com', 'approve: no role (needs approver in lab, has operator)'],
      ['dave@example.com', 'approve: after the decision (already approved by bob@example.com)'],
      ['bob@example.com', `approve: after expiry (${new Date(lateRec.expiresAt).toISOString()})`],
    ]);
    expect(refused.map((e) => e.approvalId)).toEqual([rec.id, rec.id, rec.id, rec.id, rec.id, lateRec.id]);

    // `audit` in chat, as an admin: the card lists the refusals with their reasons.
    await handleCommandText({ sourceId: 'audit-1', text: 'audit', person: person('root@example.com'), replyTo: room, receivedAt: app.clock.now() }, app.deps);
    const auditReply = (await app.replies()).filter((r) => /^Audit/.test(r.text)).pop()!;
    const shown = cardText(auditReply.card);
    expect(shown).toContain('approval-refused');
    expect(shown).toContain('no role (needs approver in lab, has viewer)');
    expect(shown).toContain('after the decision (already approved by bob@example.com)');
    expect(shown).toContain('after expiry');

    // `medic audit --json` reads the same stream.
    const lines: string[] = [];
    const code = await runAudit(['--json', '--since', '7d'], { stdout: (t) => void lines.push(t), stderr: (t) => void lines.push(t) }, { ...process.env, MEDIC_CONFIG: 'config/demo.yaml', MEDIC_QUEUE_PREFIX: app.prefix, REDIS_URL });
    expect(code).toBe(0);
    const printed = JSON.parse(lines.join('')) as Array<{ type: string; detail: string }>;
    expect(printed.filter((e) => e.type === 'approval-refused').map((e) => e.detail)).toContain('approve: stale or altered card (hash f00dfeedf00d)');
  });

  it('finishes the winning press when it is delivered again after failing part-way, instead of refusing it', async () => {
    const out = await ask(app, 'alice@example.com', 'db cancel lab/main 81');
    if (out.status !== 'approval') throw new Error('expected approval');
    const rec = (await app.deps.approvals.get(out.approvalId))!;
    let failures = 1;
    const deps: AppDeps = {
      ...app.deps,
      runbooks: {
        ...app.deps.runbooks,
        enqueueRunbook: async (id, data) => {
          if (failures-- > 0) throw new Error('Redis connection lost');
          return app.deps.runbooks.enqueueRunbook(id, data);
        },
      },
    };
    const press = () => decideApproval({ approvalId: rec.id, hash: rec.hash, decision: 'approve', person: person('bob@example.com'), replyTo: room, sourceId: 'action-77' }, deps);
    await expect(press()).rejects.toThrow(/connection lost/);
    expect(await app.queues.runbooks.count()).toBe(0);
    await press(); // the inbound queue's retry of the same card action
    expect(await app.queues.runbooks.count()).toBe(1);
    const texts = (await app.replies()).map((r) => r.text);
    expect(texts.filter((t) => /Approved by bob@example.com/.test(t))).toHaveLength(1);
    expect(texts.join('\n')).not.toMatch(/already approved/);
    // A new press by the same person (another action) is a replay: answered, nothing runs twice.
    await decideApproval({ approvalId: rec.id, hash: rec.hash, decision: 'approve', person: person('bob@example.com'), replyTo: room, sourceId: 'action-78' }, deps);
    expect(await lastReplyText(app)).toMatch(/already approved by bob@example.com/);
    expect(await app.queues.runbooks.count()).toBe(1);
  });
});
