import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardText, expectValidCard } from '../support/adaptive-card.js';
import { cardOf, startHarness, type Harness } from '../support/medic-harness.js';
import { compileTestJvm, startTestJvm, type TestJvm } from '../runbooks/jvm/test-jvm.js';

/** `jvm threads` end to end: a chat message, the runbooks queue, the thread-dump document on this host, a card. */
describe('jvm threads through the real bot and a local space', () => {
  const marker = `medic-e2e-jvm-${process.pid}`;
  let h: Harness;
  let jvm: TestJvm;
  let compiled: ReturnType<typeof compileTestJvm>;

  beforeAll(async () => {
    compiled = compileTestJvm();
    jvm = await startTestJvm(compiled.classes, marker, ['deadlock']);
    h = await startHarness({
      configYaml: `
environments:
  e2e:
    tiers:
      app:
        targets: { instanceIds: [local] }
        names: { local: this-host }
        jvm: { process: ${marker} }
access:
  - { who: alice@example.com, role: viewer }
`,
    });
  }, 120_000);
  afterAll(async () => {
    await h?.stop();
    jvm?.stop();
    compiled?.cleanup();
  });

  it('answers with the deadlock card in the thread, then the raw dumps and the report as files', async () => {
    const request = await h.space.userSays('alice@example.com', 'jvm threads e2e this-host 2 1');
    const isBot = (m: { personId?: string; parentId?: string }) => m.personId === h.space.bot.id && m.parentId === request.id;
    const result = await h.space.waitForMessage((m) => isBot(m) && cardText(cardOf(m)).includes('Thread dump analysis'), 90_000);
    const card = cardOf(result);
    expectValidCard({ card, text: result.text ?? '' });
    const text = cardText(card);
    expect(text).toContain('Instance: this-host (local) · e2e/app');
    expect(text).toContain('2 × 1 s apart');
    expect(text).toMatch(/Deadlock: "DeadlockThread-[AB]" → "DeadlockThread-[AB]" → "DeadlockThread-[AB]"/);
    expect(text).toContain(`pid ${jvm.pid}`);

    const raw = await h.space.waitForMessage((m) => isBot(m) && (m.files?.length ?? 0) > 0 && /threads-e2e-this-host-.*\.txt/.test(m.text ?? ''), 30_000);
    const dump = await (await fetch(raw.files![0]!, { headers: { authorization: `Bearer ${h.space.botToken}` } })).text();
    expect(dump.match(/^===MEDIC-DUMP \d+ /gm)).toHaveLength(2);
    expect(dump).toContain('Found one Java-level deadlock');
    const report = await h.space.waitForMessage((m) => isBot(m) && (m.files?.length ?? 0) > 0 && /-report\.json/.test(m.text ?? ''), 30_000);
    expect(report.files).toHaveLength(1);
  }, 120_000);
});
