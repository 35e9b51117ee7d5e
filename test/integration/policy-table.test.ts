import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCommand } from '../../commands/parse.js';
import { decideApproval } from '../../src/app/approvals.js';
import { submitJob, type JobPlan } from '../../src/app/submit-job.js';
import { PermissionError } from '../../src/core/errors.js';
import { createTestApp, type TestApp } from '../support/app-deps.js';

/*
 * The policy as a table: who asks (role) × what (risk) × where (prod or not) → what happens to the request, and
 * who may then approve it. Real Redis stores; no workers (only what the policy does is observed).
 */
const CONFIG = `
environments:
  lab:
    databases: { main: { urlEnv: LAB_DB_URL } }
  prod:
    tags: { prod: true }
    databases: { main: { urlEnv: PROD_DB_URL } }
access:
  - { who: viewer@example.com, role: viewer }
  - { who: op@example.com, role: operator }
  - { who: op2@example.com, role: operator }
  - { who: appr@example.com, role: approver }
  - { who: appr2@example.com, role: approver }
  - { who: admin@example.com, role: admin }
  - { who: labonly@example.com, role: approver, envs: [lab] }
approvals: { expiryMinutes: 30, prodDestructiveApprovers: 2 }
`;

type Outcome = 'runs' | 'approval' | 'refused';

describe('the policy table', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createTestApp(CONFIG);
  });
  afterAll(async () => {
    await app.close();
  });

  async function request(email: string, text: string): Promise<{ outcome: Outcome; approvalId?: string }> {
    const { command, input } = parseCommand(text, app.deps.commands);
    const plan = command.plan({ ...input, inventory: app.deps.config.inventory, receivedAt: app.clock.now() }) as JobPlan;
    try {
      const r = await submitJob({ sourceId: `${email}:${text}:${Math.random()}`, plan, actor: { type: 'person', email }, replyTo: { roomId: 'r', parentId: 'p' }, origin: text, command, reason: input.reason }, app.deps);
      return r.status === 'enqueued' ? { outcome: 'runs' } : { outcome: 'approval', approvalId: r.approvalId };
    } catch (e) {
      if (e instanceof PermissionError) return { outcome: 'refused' };
      throw e;
    }
  }

  it.each<[string, string, Outcome]>([
    ['viewer@example.com', 'db health lab/main', 'runs'],
    ['viewer@example.com', 'db cancel lab/main 1', 'refused'],
    ['viewer@example.com', 'db kill prod/main 1', 'refused'],
    ['op@example.com', 'db health prod/main', 'runs'],
    ['op@example.com', 'db cancel lab/main 1', 'approval'],
    ['op@example.com', 'db cancel prod/main 1', 'approval'],
    ['op@example.com', 'db kill lab/main 1', 'approval'],
    ['op@example.com', 'db kill prod/main 1', 'approval'],
    ['admin@example.com', 'db kill prod/main 1', 'approval'],
    ['labonly@example.com', 'db cancel lab/main 1', 'approval'],
    ['labonly@example.com', 'db cancel prod/main 1', 'refused'],
    ['stranger@example.com', 'db health lab/main', 'refused'],
  ])('%s asking `%s` → %s', async (email, text, expected) => {
    expect((await request(email, text)).outcome).toBe(expected);
  });

  /** [request by, command, presser, what the press does] */
  it.each<[string, string, string, RegExp]>([
    ['op@example.com', 'db cancel lab/main 2', 'op@example.com', /you asked for this/],
    ['op@example.com', 'db cancel lab/main 2', 'viewer@example.com', /needs the operator role/],
    ['op@example.com', 'db cancel lab/main 2', 'op2@example.com', /Approved by op2@example.com/],
    ['op@example.com', 'db kill lab/main 2', 'op2@example.com', /needs the approver role/],
    ['op@example.com', 'db kill lab/main 2', 'appr@example.com', /Approved by appr@example.com/],
    ['op@example.com', 'db kill prod/main 2', 'appr@example.com', /1 of 2/],
    ['op@example.com', 'db kill prod/main 2', 'labonly@example.com', /needs the approver role in prod/],
    ['appr@example.com', 'db kill lab/main 2', 'admin@example.com', /Approved by admin@example.com/],
  ])('%s asks `%s`, %s presses Approve → %s', async (asker, text, presser, expected) => {
    const r = await request(asker, text);
    expect(r.outcome).toBe('approval');
    const rec = (await app.deps.approvals.get(r.approvalId!))!;
    await decideApproval({ approvalId: rec.id, hash: rec.hash, decision: 'approve', person: { email: presser }, replyTo: { roomId: 'r', parentId: 'p' } }, app.deps);
    const replies = await app.replies();
    expect(replies[replies.length - 1]!.text).toMatch(expected);
  });
});
