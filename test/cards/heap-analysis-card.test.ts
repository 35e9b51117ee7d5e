import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { heapAnalysisCard } from '../../cards/heap-analysis-card.js';
import { analyzeHeapDump, type HeapReport } from '../../src/analyzers/hprof/index.js';
import { cardText, expectValidCard } from '../support/adaptive-card.js';
import { SHARED } from '../analyzers/hprof/support/jvm.js';

// Built from real analyses of the shared sample and a corpus dump, not from hand-written reports.
let leak: HeapReport;
let old: HeapReport;
beforeAll(async () => {
  leak = await analyzeHeapDump(join(SHARED, 'samples/small-leak-4k.hprof'));
  old = await analyzeHeapDump(join(SHARED, 'corpus/heap/jdk8u-jhat-minimal.hprof'));
});

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
    expect(t).toMatch(/Java: OpenJDK 64-Bit Server VM 17\.0\.15/);
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
    expect(heapAnalysisCard(leak, { target: 'app-1' }).text).toMatch(/^Heap dump of app-1: class SmallLeak retains .* \(42\.1%\), accumulated in java\.util\.HashMap\$Node\[\]\.$/);
  });
});
