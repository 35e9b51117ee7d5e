import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Message } from '../../src/local-space/local-space.js';
import { cardText, expectValidCard } from '../support/adaptive-card.js';
import { cardOf, startHarness, type Harness } from '../support/medic-harness.js';
import { PG_URL } from '../support/pg-victim.js';

/**
 * The demo's bug, end to end: a session idle in transaction holds a lock another session waits for. `db cancel`
 * on it must not claim success (there is no statement to cancel); a pid that does not exist is refused before any
 * approval card; the approval card for `db kill` says in words what it will end; the result says whether the
 * waiting session is free.
 */

const CONFIG = `
environments:
  lab:
    databases: { main: { urlEnv: MEDIC_E2E_SIGNAL_DB_URL } }
access:
  - { who: alice@example.com, role: operator }
  - { who: bob@example.com, role: approver }
`;

describe('db cancel / db kill tell the truth about the session they act on', () => {
  let h: Harness;
  let holder: pg.Client;
  let waiter: pg.Client;
  let holderPid = 0;
  let waiterPid = 0;
  let waited: Promise<unknown>;
  // Advisory locks: a real lock wait without creating tables in the shared database.
  const key = Math.floor(Math.random() * 1e9);

  beforeAll(async () => {
    process.env.MEDIC_E2E_SIGNAL_DB_URL = PG_URL;
    holder = new pg.Client({ connectionString: PG_URL, application_name: 'e2e-holder' });
    waiter = new pg.Client({ connectionString: PG_URL, application_name: 'e2e-waiter' });
    for (const c of [holder, waiter]) {
      c.on('error', () => undefined); // the holder is terminated on purpose
      await c.connect();
    }
    holderPid = Number((await holder.query('select pg_backend_pid() as p')).rows[0].p);
    waiterPid = Number((await waiter.query('select pg_backend_pid() as p')).rows[0].p);
    await holder.query('begin');
    await holder.query('select pg_advisory_xact_lock($1)', [key]);
    waited = waiter.query('select pg_advisory_xact_lock($1)', [key]).catch((e: unknown) => e);
    const probe = new pg.Client({ connectionString: PG_URL });
    await probe.connect();
    try {
      for (let i = 0; i < 400; i++) {
        const r = await probe.query('select pg_blocking_pids($1) as by', [waiterPid]);
        if ((r.rows[0].by as number[]).includes(holderPid)) break;
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      await probe.end();
    }
    h = await startHarness({ configYaml: CONFIG });
  }, 60_000);

  afterAll(async () => {
    await holder?.end().catch(() => undefined);
    await waiter?.end().catch(() => undefined);
    await h?.stop();
  });

  const fromBotIn = (parent: string, pred: (m: Message) => boolean = () => true) => (m: Message) => m.personId === h.space.bot.id && m.parentId === parent && pred(m);
  const approvalsAsked = () => h.space.messages({ fromBot: true }).filter((m) => /Approval needed/.test(m.text ?? ''));

  it('refuses a pid that does not exist before any approval card, naming the pid and the database', async () => {
    const { request, reply } = await h.ask('alice@example.com', 'db kill lab/main 2147483000 because stuck');
    const text = cardText(cardOf(reply));
    expect(text).toContain('There is no session with pid 2147483000 in lab/main');
    expect(text).toMatch(/db health lab\/main/);
    expect(h.space.messages({ fromBot: true }).filter((m) => m.parentId === request.id)).toHaveLength(1);
    expect(approvalsAsked()).toHaveLength(0);
  }, 30_000);

  it('answers db cancel on a session idle in transaction with what it is and db kill, not with success', async () => {
    const { reply } = await h.ask('alice@example.com', `db cancel lab/main ${holderPid} because it blocks checkout`);
    const text = cardText(cardOf(reply));
    expect(text).toContain(`pid ${holderPid} runs no statement: it has been idle in transaction for`);
    expect(text).toContain(`blocks pid ${waiterPid}`);
    expect(text).toContain('pg_cancel_backend would do nothing');
    expect(text).toContain(`db kill lab/main ${holderPid}`);
    expect(text).not.toMatch(/done|cancelled/);
    expect(approvalsAsked()).toHaveLength(0);
  }, 30_000);

  it('describes the session in words on the db kill approval card, then reports the waiter freed', async () => {
    const ask = await h.space.userSays('alice@example.com', `db kill lab/main ${holderPid} because it blocks checkout`);
    const cardMsg = await h.space.waitForMessage(fromBotIn(ask.id, (m) => cardText(cardOf(m)).includes('Approval needed')), 20_000);
    const card = cardOf(cardMsg) as { actions: Array<{ title: string; data: Record<string, string> }> };
    expectValidCard({ card, text: cardMsg.text ?? '' });
    const text = cardText(card);
    expect(text).toMatch(/Database: lab\/main: database postgres on 127\.0\.0\.1:5432/);
    expect(text).toContain(`pid ${holderPid}, user postgres, application e2e-holder`);
    expect(text).toMatch(/State: idle in transaction for \d+ s; transaction open \d+ s\n/);
    expect(text).toMatch(/Last query started: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
    expect(text).toMatch(new RegExp(`Blocks: pid ${waiterPid} \\(postgres, e2e-waiter\\), waiting \\d+ s`));
    // Card markdown escapes underscores (cards/card-kit.ts plain()).
    expect(text).toMatch(new RegExp(`pg\\\\?_terminate\\\\?_backend\\(${holderPid}\\): ends the session`));
    // In words, never the raw job data.
    expect(text).not.toMatch(/"pid"|"env"|\{/);

    await h.space.userSubmitsCard('bob@example.com', cardMsg.id, card.actions.find((a) => a.title === 'Approve')!.data);
    const result = await h.space.waitForMessage(fromBotIn(ask.id, (m) => /db kill lab\/main/.test(m.text ?? '') && !/Approv/.test(m.text ?? '')), 30_000);
    expectValidCard({ card: cardOf(result), text: result.text ?? '' });
    const out = cardText(cardOf(result));
    expect(out).toContain(`db kill lab/main pid ${holderPid}: done`);
    expect(out).toContain(`Session ${holderPid} was terminated; its open transaction was rolled back.`);
    expect(out).toContain(`pid ${waiterPid} (postgres, e2e-waiter): no longer blocked`);
    // And it really is: the waiter got its lock.
    expect(await waited).toMatchObject({ rowCount: 1 });
  }, 60_000);
});
