import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { heapAnalysisCard } from '../../cards/heap-analysis-card.js';
import { analyzeHeapDump, type HeapReport } from '../../src/analyzers/hprof/index.js';
import { minimalHprof } from '../analyzers/hprof/support/minimal-hprof.js';
import { cardText, expectValidCard } from '../support/adaptive-card.js';
import { heapSamples } from '../support/samples.js';

// Built from real analyses, not from hand-written reports: a dump of test/fixtures/java/samples/SmallLeak.java made
// from a real JVM this run, and a dump with no heap at all (heap-card.corpus.test.ts uses the corpus' real one).
let leak: HeapReport;
let old: HeapReport;
const scratch = mkdtempSync(join(tmpdir(), 'medic-heap-card-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
beforeAll(async () => {
  leak = await analyzeHeapDump((await heapSamples()).hprof);
  writeFileSync(join(scratch, 'minimal.hprof'), minimalHprof());
  old = await analyzeHeapDump(join(scratch, 'minimal.hprof'));
});

/** What the JDK that made the sample says about itself: the oracle for the card's JVM line. */
function javaProperty(name: string): string {
  const { stderr } = spawnSync('java', ['-XshowSettings:properties', '-version'], { encoding: 'utf8' });
  return new RegExp(`^\\s*${name.replaceAll('.', '\\.')} = (.*)$`, 'm').exec(stderr)![1].trim();
}

describe('heapAnalysisCard', () => {
  it('is a valid Adaptive Card 1.3 within Webex limits', () => {
    expectValidCard(heapAnalysisCard(leak, { env: 'prod', target: 'app-1', dumpPath: '/var/tmp/app.hprof.gz', dumpBytes: 1_440_579 }));
    expectValidCard(heapAnalysisCard(old));
  });

  it('shows the suspects first, then retained classes and objects with paths, then the JVM', () => {
    const t = cardText(heapAnalysisCard(leak, { env: 'prod', target: 'app-1' }).card);
    const order = ['Leak suspects', 'Top retained classes', 'Biggest objects', 'JVM'].map((h) => t.indexOf(h));
    expect(order.every((i, k) => i >= 0 && (k === 0 || i > order[k - 1]))).toBe(true);
    expect(t).toContain('One class SmallLeak retains');
    expect(t).toContain('Accumulated in **java.util.HashMap$Node[]**');
    expect(t).toContain('class sun.launcher.LauncherHelper.appClass');
    expect(t).toContain(`Java: ${javaProperty('java.vm.name')} ${javaProperty('java.version')}`);
    expect(t).toContain('prod / app-1');
    // The sample's JVM ran with -Xmx64m and never read its arguments: the max heap comes from Runtime.maxMemory().
    expect(t).toContain("Max heap: 64.0 MB (the JVM's max heap, Runtime.maxMemory() at start-up");
  });

  it('says so when nothing looks like a leak, and when the dump holds no JVM settings', () => {
    const m = heapAnalysisCard(old);
    const t = cardText(m.card);
    expect(t).toContain('No leak suspect');
    expect(t).toContain('Java: not found in the dump');
    expect(t).toContain('Max heap: not in the dump: on the instance, jcmd <pid> VM.flags shows MaxHeapSize');
    expect(m.text).toMatch(/no leak suspect/);
  });

  it('puts the suspect in the notification text', () => {
    const { percent } = leak.leakSuspects[0];
    expect(percent).toBeGreaterThan(10);
    const text = heapAnalysisCard(leak, { target: 'app-1' }).text;
    expect(text).toMatch(/^Heap dump of app-1: class SmallLeak retains .* \(([\d.]+)%\), accumulated in java\.util\.HashMap\$Node\[\]\.$/);
    expect(text).toContain(`(${percent}%)`);
  });
});
