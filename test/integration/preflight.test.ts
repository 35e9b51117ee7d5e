import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCommand } from '../../commands/parse.js';
import { submitJob, type JobPlan } from '../../src/app/submit-job.js';
import { UserError } from '../../src/core/errors.js';
import { createPgExecutor } from '../../src/executors/pg.js';
import { createPreflight } from '../../src/runbooks/index.js';
import { createTestApp, type TestApp } from '../support/app-deps.js';
import { PG_URL, startPgVictim, type PgVictim } from '../support/pg-victim.js';

/**
 * The pre-approval lookup on the submit path, with real Redis and a real PostgreSQL backend: a request that
 * cannot work is refused and audited before any approval exists; one that can carries the lookup to its record.
 */

const CONFIG = `
environments:
  lab:
    databases: { main: { urlEnv: MEDIC_PREFLIGHT_DB_URL } }
access:
  - { who: alice@example.com, role: operator }
`;

describe('submitJob looks db cancel/kill targets up before asking for approval', () => {
  let app: TestApp;
  let victim: PgVictim;
  beforeAll(async () => {
    app = await createTestApp(CONFIG);
    const pgPort = { ...createPgExecutor(), resolveSecret: (name: string) => (name === 'MEDIC_PREFLIGHT_DB_URL' ? PG_URL : undefined) };
    app.deps.preflight = createPreflight({ inventory: app.deps.config.inventory, services: { executor: { run: async () => ({ commandId: 'x', instances: [] }) }, pg: pgPort }, clock: app.clock });
    victim = await startPgVictim('preflight-victim'); // resolves once its pg_sleep runs
  });
  afterAll(async () => {
    await victim?.end();
    await app?.close();
  });

  const ask = (text: string) => {
    const { command, input } = parseCommand(text, app.deps.commands);
    const plan = command.plan({ ...input, inventory: app.deps.config.inventory, receivedAt: app.clock.now() }) as JobPlan;
    return submitJob({ sourceId: `src-${Math.random()}`, plan, actor: { type: 'person', email: 'alice@example.com' }, replyTo: { roomId: 'room-1', parentId: 'msg-1' }, origin: text, command, reason: input.reason }, app.deps);
  };

  it('refuses a pid with no session and audits the refusal; no approval is created', async () => {
    const err = await ask('db kill lab/main 2147483000 because stuck').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toBe('There is no session with pid 2147483000 in lab/main; it may already have ended.');
    expect(await app.deps.approvals.listPending()).toEqual([]);
    const audit = await app.deps.audit.read({ limit: 10 });
    expect(audit.map((e) => e.type)).toEqual(['refused', 'request']);
    expect(audit[0]!.detail).toContain('no session with pid 2147483000');
  });

  it('keeps what it looked up on the approval record of a cancel of a running statement', async () => {
    const out = await ask(`db cancel lab/main ${victim.pid} because runaway`);
    expect(out.status).toBe('approval');
    const rec = (await app.deps.approvals.listPending()).find((r) => r.commandText.includes(String(victim.pid)))!;
    expect(rec.preview!.facts).toContainEqual(['Backend', `pid ${victim.pid}, user postgres, application preflight-victim, client 127.0.0.1`]);
    expect(rec.preview!.facts).toContainEqual(['Query', 'SELECT pg_sleep($1)']);
    expect(rec.preview!.facts.find(([k]) => k === 'State')![1]).toMatch(/^running a statement for \d+ s; transaction open \d+ s; waiting on Timeout\/PgSleep$/);
  });
});
