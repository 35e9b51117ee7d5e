import { beforeAll, describe, expect, it } from 'vitest';
import { WEBEX_MAX_CARD_BYTES } from '../../cards/card-kit.js';
import { threadAnalysisCard } from '../../cards/thread-analysis-card.js';
import { analyzeThreadDumps } from '../../src/analyzers/threads/index.js';
import type { ThreadReport } from '../../src/analyzers/threads/types.js';
import { jvmFacts } from '../analyzers/threads/jvm-helpers.js';
import { cardText, expectValidCard } from '../support/adaptive-card.js';
import { threadSamples } from '../support/samples.js';

/**
 * A synthetic dump as big and hostile as we can make it: 10,000 threads with long names and deep stacks, 200
 * two-thread deadlocks, a lock 3,000 threads queue on. The card must still fit Webex's budget.
 */
function hugeDump(): string {
  const lines: string[] = ['Full thread dump OpenJDK 64-Bit Server VM (17.0.15+6 mixed mode):', ''];
  const deep = Array.from({ length: 40 }, (_, i) => `\tat com.example.very.long.package.name.service.layer${i}.SomeRatherLongClassName$Inner.method${i}(SomeRatherLongClassName.java:${i + 10})`);
  let n = 0;
  const header = (name: string, state: string): string => `"${name}" #${++n} prio=5 os_prio=0 cpu=1.00ms elapsed=9.00s tid=0x${(0x1000 + n).toString(16)} nid=0x${n.toString(16)} ${state}  [0x0]`;
  for (let i = 0; i < 200; i++) {
    const a = (0x10000 + 2 * i).toString(16);
    const b = (0x10000 + 2 * i + 1).toString(16);
    const pad = 'x'.repeat(120);
    lines.push(header(`deadlock-${pad}-${i}-a`, 'waiting for monitor entry'), '   java.lang.Thread.State: BLOCKED (on object monitor)', deep[0], `\t- waiting to lock <0x${b}> (a java.lang.Object)`, `\t- locked <0x${a}> (a java.lang.Object)`, ...deep.slice(1), '');
    lines.push(header(`deadlock-${pad}-${i}-b`, 'waiting for monitor entry'), '   java.lang.Thread.State: BLOCKED (on object monitor)', deep[0], `\t- waiting to lock <0x${a}> (a java.lang.Object)`, `\t- locked <0x${b}> (a java.lang.Object)`, ...deep.slice(1), '');
  }
  lines.push(header('big-holder', 'waiting on condition'), '   java.lang.Thread.State: TIMED_WAITING (sleeping)', '\tat java.lang.Thread.sleep(Native Method)', '\t- locked <0xbeef> (a java.lang.Object)', ...deep, '');
  while (n < 10_000) {
    const blocked = n < 3_400;
    lines.push(
      header(`http-nio-8080-exec-${n}`, blocked ? 'waiting for monitor entry' : 'runnable'),
      `   java.lang.Thread.State: ${blocked ? 'BLOCKED (on object monitor)' : 'RUNNABLE'}`,
      ...(blocked ? [deep[0], '\t- waiting to lock <0xbeef> (a java.lang.Object)', ...deep.slice(1)] : deep.slice(n % 7)),
      '',
    );
  }
  lines.push('"VM Periodic Task Thread" os_prio=0 tid=0xffff nid=0xffff waiting on condition', '', 'JNI global refs: 1, weak refs: 0');
  return lines.join('\n');
}

describe('threadAnalysisCard', () => {
  // Two jstack dumps of test/fixtures/java/samples/Deadlock.java, made from a real JVM once per run.
  let samples: ThreadReport;
  let threads: number;
  beforeAll(async () => {
    const { text } = await threadSamples();
    samples = analyzeThreadDumps([
      { name: 'deadlock.jstack-l.txt', text: text.jstack },
      { name: 'deadlock.jstack-l.later.txt', text: text.jstackLater },
    ]);
    threads = jvmFacts(text.jstackLater).headers;
  });

  it('is a valid Adaptive Card 1.3 within Webex limits', () => {
    expectValidCard(threadAnalysisCard(samples, { env: 'prod', target: 'orders-api' }));
  });

  it('shows findings first, worst first, then counts, deadlock cycles, the contended lock and groups', () => {
    const message = threadAnalysisCard(samples, { env: 'prod', target: 'orders-api' });
    const text = cardText(message.card);
    const order = ['Findings', 'Deadlock: "worker-A"', 'Threads by state', 'BLOCKED: 7', 'Deadlocks (2)', '"juc-1" → "juc-2" → "juc-1"', 'Most contended lock', 'held by "hot-holder"', 'Deadlock.sleep', 'Largest identical stacks', '5 × BLOCKED'];
    let at = -1;
    for (const piece of order) {
      const next = text.indexOf(piece, at + 1);
      expect(next, `"${piece}" after position ${at}`).toBeGreaterThan(at);
      at = next;
    }
    const severities = samples.findings.map((f) => f.severity);
    expect(severities.indexOf('critical')).toBe(0);
    expect(severities.lastIndexOf('critical')).toBeLessThan(severities.indexOf('warn'));
    expect(text).toContain('prod · orders-api');
    expect(message.text).toMatch(new RegExp(`^Thread dump analysis for prod orders-api: ${threads} threads\n- CRITICAL: Deadlock`));
  });

  it('stays under the card budget for a 10,000-thread dump full of deadlocks and waiters', () => {
    const report = analyzeThreadDumps([{ name: 'huge.txt', text: hugeDump() }]);
    expect(report.threads).toBe(10_001);
    expect(report.deadlocks).toHaveLength(200);
    expect(report.contention[0]).toMatchObject({ holder: 'big-holder', waiters: 3_400 - 401 });
    const message = threadAnalysisCard(report, { env: 'prod', target: 'x'.repeat(500) });
    expectValidCard(message);
    expect(Buffer.byteLength(JSON.stringify(message.card))).toBeLessThan(WEBEX_MAX_CARD_BYTES);
    const text = cardText(message.card);
    expect(text).toContain('Deadlocks (200)');
    expect(text).toContain('held by "big-holder"');
    expect(text).toMatch(/more in the attached report/);
  });

  it('escapes markdown in thread names', () => {
    const text = '"w1" #1 prio=5 os_prio=0 tid=0x1 nid=0x1 waiting for monitor entry  [0x0]\n   java.lang.Thread.State: BLOCKED (on object monitor)\n\tat A.b(A.java:1)\n\t- waiting to lock <0x2> (a java.lang.Object)\n\n"*bold*_name_" #2 prio=5 os_prio=0 tid=0x2 nid=0x2 runnable  [0x0]\n   java.lang.Thread.State: RUNNABLE\n\tat A.c(A.java:2)\n\t- locked <0x2> (a java.lang.Object)\n\n"w2" #3 prio=5 os_prio=0 tid=0x3 nid=0x3 waiting for monitor entry  [0x0]\n   java.lang.Thread.State: BLOCKED (on object monitor)\n\tat A.b(A.java:1)\n\t- waiting to lock <0x2> (a java.lang.Object)\n';
    const card = threadAnalysisCard(analyzeThreadDumps([{ name: 'md', text }]));
    expect(JSON.stringify(card.card)).not.toContain('*bold*_name_');
    expect(cardText(card.card)).toContain('\\*bold\\*\\_name\\_');
  });
});
