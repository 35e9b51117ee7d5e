import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../commands/index.js';
import { approvalCard, approvalNoticeCard, approvalsListCard } from '../../cards/approval-card.js';
import { auditCard } from '../../cards/audit-card.js';
import { envsCard } from '../../cards/envs-card.js';
import { internalErrorCard, permissionCard, userErrorCard } from '../../cards/error-card.js';
import { commandHelpCard, helpCard } from '../../cards/help-card.js';
import { acceptedCard, jobCard, jobsCard } from '../../cards/job-card.js';
import { pingCard } from '../../cards/ping-card.js';
import type { ApprovalRecord } from '../../src/core/approval.js';
import type { JobView } from '../../src/core/jobs.js';
import { cardText, expectValidCard } from '../support/adaptive-card.js';

const now = Date.UTC(2026, 10, 26, 4, 0, 0);
const view = (i: number, over: Partial<JobView> = {}): JobView => ({
  id: `r-${String(i).padStart(12, 'x')}`,
  kind: 'system.ping',
  state: 'completed',
  origin: `ping number ${i} with a long long long text to be clipped in the table`,
  actor: { type: 'person', email: 'alice@example.com', displayName: 'Alice Ops' },
  roomId: 'room',
  createdAt: now - i * 60_000,
  startedAt: now - i * 60_000 + 50,
  finishedAt: now - i * 60_000 + 80,
  summary: 'pong',
  attempts: 1,
  ...over,
});

const approval: ApprovalRecord = {
  id: 'ap-abc',
  jobId: 'r-abc',
  data: { request: { kind: 'system.ping', receivedAt: now }, actor: { type: 'person', email: 'alice@example.com' }, risk: 'destructive', origin: 'db kill acme-prod/main 42', env: 'acme-prod' },
  hash: 'h'.repeat(32),
  requester: 'alice@example.com',
  risk: 'destructive',
  env: 'acme-prod',
  commandText: 'db kill acme-prod/main 42 because <b>blocking</b> *everything*',
  approverRole: 'approver',
  needed: 2,
  approvals: ['bob@example.com'],
  status: 'pending',
  createdAt: now,
  expiresAt: now + 30 * 60_000,
  reason: 'blocking everything',
  why: 'Budget spent: 1 db.kill per target per 2 h.',
};

describe('the cards of the spine are valid Adaptive Cards 1.3 within Webex limits', () => {
  it('help lists what the person may run, and help <command> shows usage and examples', () => {
    const all = helpCard(COMMANDS, 'Alice');
    expectValidCard(all);
    for (const c of COMMANDS) expect(cardText(all.card)).toContain(c.name);
    const one = commandHelpCard(COMMANDS.find((c) => c.name === 'audit')!, false);
    expectValidCard(one);
    expect(cardText(one.card)).toMatch(/needs the admin role/);
    expect(cardText(one.card)).toContain('audit acme-prod 50');
  });

  it('job shows state, who asked, timings and result', () => {
    const c = jobCard(view(1, { state: 'failed', error: 'boom' }), now);
    expectValidCard(c);
    const t = cardText(c.card);
    expect(t).toContain('Alice Ops (alice@example.com)');
    expect(t).toContain('Took: 0.0 s');
    expect(t).toContain('Error: boom');
  });

  it('jobs fits ten jobs, and says so when there are none', () => {
    const c = jobsCard(Array.from({ length: 10 }, (_, i) => view(i)), now);
    expectValidCard(c);
    expect(cardText(c.card).match(/r-x+\d/g)).toHaveLength(10);
    expectValidCard(jobsCard([], now));
    expect(cardText(jobsCard([], now).card)).toMatch(/No jobs yet/);
  });

  it('errors say what was wrong and what to do', () => {
    expectValidCard(userErrorCard('I do not know `pign`.', 'Did you mean `ping`?'));
    const internal = internalErrorCard('Job r-1', 'AB12CD');
    expectValidCard(internal);
    expect(cardText(internal.card)).toContain('AB12CD');
    const refused = permissionCard('needs approver', ['bob@example.com']);
    expectValidCard(refused);
    expect(cardText(refused.card)).toContain('bob@example.com');
  });

  it('envs, ping, accepted, audit', () => {
    expectValidCard(envsCard({ demo: { tags: {}, tiers: {}, databases: {}, logGroups: [] } }, ['demo']));
    expectValidCard(pingCard({ kind: 'system.ping', summary: 'pong', receivedAt: now - 20, startedAt: now - 10, finishedAt: now - 9, worker: 'h:1', queuedMs: 10 }, { jobId: 'r-1', requestedBy: 'a', now }));
    expectValidCard(acceptedCard('r-1', 'health of demo'));
    const audit = auditCard(Array.from({ length: 200 }, (_, i) => ({ at: now - i, type: 'request' as const, actor: 'alice@example.com', env: 'demo', jobId: `r-${i}`, detail: 'x'.repeat(300) })));
    expectValidCard(audit);
  });

  it('the approval card says in words what Medic looked up, instead of the raw job data, when there is a preview', () => {
    const preview = {
      facts: [['Database', 'acme-prod/main: database app on db1:5432'], ['Backend', 'pid 42, user app, application checkout_svc'], ['Blocks', 'pid 77 (app, billing), waiting 40 s']] as Array<[string, string]>,
      notes: ['As Medic read it at 04:00:00 UTC.'],
    };
    const data = { ...approval.data, request: { kind: 'db.kill' as const, env: 'acme-prod', db: 'main', pid: 42 } };
    const c = approvalCard({ ...approval, data, preview });
    expectValidCard(c);
    const t = cardText(c.card);
    expect(t).toContain('What will run\nDatabase: acme-prod/main: database app on db1:5432\nBackend: pid 42, user app, application checkout');
    expect(t).toContain('Blocks: pid 77 (app, billing), waiting 40 s');
    expect(t).toContain('As Medic read it at 04:00:00 UTC.');
    expect(t).not.toContain('"pid"');
  });

  it('the approval card shows exactly what runs, who asked, why, expiry, and carries the hash on both buttons', () => {
    const c = approvalCard(approval, [{ jobId: 'r-old', at: now - 3600_000 }]);
    expectValidCard(c);
    const t = cardText(c.card);
    expect(t).toContain('alice@example.com');
    expect(t).toContain('blocking everything');
    expect(t).toContain('2 × approver');
    expect(t).toContain('bob@example.com');
    expect(t).toContain('Budget spent');
    expect(t).toContain('r-old');
    const actions = (c.card.actions ?? []) as unknown as Array<{ title: string; data: Record<string, string> }>;
    expect(actions.map((a) => a.title)).toEqual(['Approve', 'Reject']);
    for (const a of actions) expect(a.data).toMatchObject({ approvalId: 'ap-abc', hash: approval.hash });
    expectValidCard(approvalNoticeCard('✅', 'Approved'));
    expectValidCard(approvalsListCard([approval], now));
  });
});
