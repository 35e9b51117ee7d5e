import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { threadAnalysisCard } from '../../../cards/thread-analysis-card.js';
import { analyzeThreadDumps } from '../../../src/analyzers/threads/index.js';
import { cardText, expectValidCard } from '../../support/adaptive-card.js';
import { compileThreadPrograms, jcmdThreadPrint, startJvm, topThreads, type CompiledPrograms, type RunningJvm } from './jvm-helpers.js';

// A real JVM after its startup (test/fixtures/java/threads/ThreadWarmedUp.java): DestroyJavaVM holds 1.5 s of CPU
// from before the dumps and uses none now; light-worker uses about a quarter of a core now.
let compiled: CompiledPrograms | undefined;
let jvm: RunningJvm | undefined;
const dumps: Array<{ dump: string; top: string }> = [];

/** The JVM's own cpu= for a thread (the oracle), in ms. */
function cpuOf(dump: string, name: string): number {
  const header = dump.split('\n').find((l) => l.startsWith(`"${name}"`));
  return Number(/ cpu=([\d.]+)ms/.exec(header ?? '')?.[1] ?? Number.NaN);
}

beforeAll(async () => {
  compiled = await compileThreadPrograms();
  jvm = await startJvm(compiled.dir, 'ThreadWarmedUp');
  // As Medic-JvmThreadDump takes them: a dump, then top -H beside it; the next one a second later.
  for (let i = 0; i < 2; i++) {
    if (i > 0) await delay(1000);
    dumps.push({ dump: await jcmdThreadPrint(jvm.pid), top: await topThreads(jvm.pid) });
  }
}, 180_000);

afterAll(() => {
  jvm?.kill();
  compiled?.cleanup();
});

describe('the hottest thread is one that used CPU during the dumps', () => {
  it('the scenario holds: DestroyJavaVM has the largest CPU total since start', () => {
    const first = dumps[0]!.dump;
    expect(cpuOf(first, 'DestroyJavaVM')).toBeGreaterThanOrEqual(1400);
    expect(cpuOf(first, 'DestroyJavaVM')).toBeGreaterThan(cpuOf(first, 'light-worker'));
  });

  it('names light-worker by the cpu= delta between two dumps, not DestroyJavaVM', () => {
    const report = analyzeThreadDumps(
      dumps.map((d, i) => ({ name: `dump-${i + 1}`, text: d.dump })),
      { top: dumps.map((d, i) => ({ name: `top-${i + 1}`, text: d.top })) },
    );
    expect(report.cpu).toMatchObject({ measured: 'cpu-delta', windowMs: expect.any(Number) });
    expect(report.hotThreads[0]).toMatchObject({ name: 'light-worker', source: 'cpu-delta' });
    const delta = cpuOf(dumps[1]!.dump, 'light-worker') - cpuOf(dumps[0]!.dump, 'light-worker');
    expect(report.hotThreads[0]!.cpuMs).toBeCloseTo(delta, 1);
    expect(report.hotThreads.map((h) => h.name)).not.toContain('DestroyJavaVM');

    const card = threadAnalysisCard(report, { env: 'demo', target: 'app-1' });
    expectValidCard(card);
    const text = cardText(card.card);
    expect(text).toContain('Hottest thread');
    expect(text).toMatch(/"light-worker": \d+ ms CPU \(\d+(\.\d)?% of a core\) between the dumps \(\d+\.\d s\)/);
    expect(text).not.toContain('DestroyJavaVM');
  });

  it('without cpu= (JDK 8), measures by the TIME+ delta between the top -H samples', () => {
    const strip = (s: string): string => s.replace(/ cpu=[\d.]+ms/g, '').replace(/ elapsed=[\d.]+s/g, '');
    const report = analyzeThreadDumps(
      dumps.map((d, i) => ({ name: `dump-${i + 1}`, text: strip(d.dump) })),
      { top: dumps.map((d, i) => ({ name: `top-${i + 1}`, text: d.top })) },
    );
    expect(report.cpu.measured).toBe('top-delta');
    expect(report.hotThreads[0]).toMatchObject({ name: 'light-worker', source: 'top-delta' });
    expect(report.hotThreads.map((h) => h.name)).not.toContain('DestroyJavaVM');
  });

  it('with one dump and no top, says CPU during the window is unknown instead of naming a total', () => {
    const report = analyzeThreadDumps([{ name: 'dump-1', text: dumps[0]!.dump }]);
    expect(report.hotThreads).toEqual([]);
    expect(report.cpu).toEqual({ measured: 'none', reason: expect.stringMatching(/^one dump only/) });
    expect(report.findings.map((f) => f.title).join('\n')).not.toContain('DestroyJavaVM');
    const card = threadAnalysisCard(report, { env: 'demo', target: 'app-1' });
    expectValidCard(card);
    const text = cardText(card.card);
    expect(text).toContain('CPU during the dumps');
    expect(text).toContain('Unknown: one dump only');
    expect(text).toContain('jvm threads demo app-1 3');
    expect(text).not.toContain('Hottest thread');
    expect(text).not.toContain('DestroyJavaVM');
  });

  it('with one dump and its top -H, lists only threads top saw using CPU, never DestroyJavaVM', () => {
    const report = analyzeThreadDumps([{ name: 'dump-1', text: dumps[0]!.dump }], { top: [{ name: 'top-1', text: dumps[0]!.top }] });
    expect(report.cpu.measured).toBe('top-H');
    expect(report.hotThreads.every((h) => h.source === 'top-H' && h.cpuPercent! > 0)).toBe(true);
    expect(report.hotThreads.map((h) => h.name)).not.toContain('DestroyJavaVM');
  });
});
