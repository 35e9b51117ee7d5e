import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeHeapDump, type HeapReport } from '../../../src/analyzers/hprof/index.js';
import { readReferenceHeap, type ReferenceHeap } from './support/reference-heap.js';
import { JvmLab } from './support/jvm.js';

// Real JVMs (Java 17) of several shapes, dumped with jcmd and compared with `jmap -histo:live` taken right after.
const lab = new JvmLab();
const MANY = 400;
const manyClassesSource = (): string => {
  const lines = ['public class ManyClasses {'];
  for (let i = 0; i < MANY; i++) lines.push(`  static final class C${i} { long a = ${i}; Object b; }`);
  lines.push('  static Object[] KEEP;', '  public static void main(String[] a) throws Exception {', `    KEEP = new Object[${MANY * 3}];`, '    int k = 0;');
  for (let i = 0; i < MANY; i++) lines.push(`    for (int j = 0; j < ${(i % 3) + 1}; j++) KEEP[k++] = new C${i}();`);
  lines.push('    System.out.println("READY"); System.out.flush(); Thread.sleep(Long.MAX_VALUE);', '  }', '}');
  return lines.join('\n');
};

interface Shape {
  file: string;
  histo: Map<string, { instances: number; bytes: number }>;
  report: HeapReport;
}
const shapes: Record<string, Shape> = {};

beforeAll(async () => {
  await lab.compile([{ name: 'ManyClasses.java', text: manyClassesSource() }]);
  const specs: Array<[string, string, string[], string, boolean]> = [
    ['leak', 'HeapShapes', ['leak', '10000'], '64m', false],
    ['chain', 'HeapShapes', ['chain', '1000000'], '256m', true],
    ['arrays', 'HeapShapes', ['arrays'], '128m', false],
    ['strings', 'HeapShapes', ['strings', '50000'], '128m', false],
    ['classes', 'ManyClasses', [], '64m', false],
  ];
  const pids = await Promise.all(specs.map(([, main, args, xmx]) => lab.start(main, args, xmx)));
  for (let i = 0; i < specs.length; i++) {
    const [name, , , , gz] = specs[i];
    const d = await lab.dumpAndHisto(pids[i], `${name}.hprof${gz ? '.gz' : ''}`, gz);
    shapes[name] = { ...d, report: undefined as unknown as HeapReport };
  }
  lab.stopJvms(); // the dumps are taken: free the CPU for the analysis
  for (const s of Object.values(shapes)) s.report = await analyzeHeapDump(s.file);
}, 180_000);

afterAll(() => lab.killAll());

const count = (r: HeapReport, cls: string): number => r.histogram.find((h) => h.className === cls)?.instances ?? 0;

describe.each(['leak', 'chain', 'arrays', 'strings', 'classes'])('the %s dump', (name) => {
  it('has the instance count of jmap -histo:live for every class but java.lang.Class', () => {
    const { report, histo } = shapes[name];
    // java.lang.Class differs by design: HotSpot dumps a CLASS_DUMP only for loaded classes (plus 9 primitive
    // mirrors as instances), while jmap counts every mirror, including array classes' and unloaded ones.
    const mismatches: string[] = [];
    for (const [cls, h] of histo) {
      if (cls === 'java.lang.Class') continue;
      const ours = count(report, cls);
      if (ours !== h.instances) mismatches.push(`${cls}: jmap ${h.instances}, ours ${ours}`);
    }
    for (const row of report.histogram) {
      if (row.className !== 'java.lang.Class' && !histo.has(row.className)) mismatches.push(`${row.className}: not in jmap, ours ${row.instances}`);
    }
    expect(mismatches).toEqual([]);
  });

  it('models shallow bytes within 0.5% of jmap in total (java.lang.Class aside)', () => {
    const { report, histo } = shapes[name];
    const jmap = [...histo].filter(([c]) => c !== 'java.lang.Class').reduce((s, [, h]) => s + h.bytes, 0);
    const ours = report.histogram.filter((h) => h.className !== 'java.lang.Class').reduce((s, h) => s + h.shallowBytes, 0);
    expect(Math.abs(ours - jmap) / jmap).toBeLessThan(0.005);
  });

  it('reads the JVM settings and detects compressed oops', () => {
    const { report } = shapes[name];
    expect(report.summary.idSize).toBe(8);
    expect(report.summary.compressedOops).toBe(true);
    expect(report.jvm.systemProperties['java.version']).toMatch(/^17\./);
    expect(report.jvm.systemProperties['sun.java.command']).toMatch(name === 'classes' ? /ManyClasses/ : /HeapShapes/);
  });
});

describe('the HashMap leak', () => {
  let ref: ReferenceHeap;
  beforeAll(() => {
    ref = readReferenceHeap(shapes.leak.file, { compressedRefs: true });
  });

  it('names the class holding the map as the suspect, accumulated in the HashMap$Node[]', () => {
    const s = shapes.leak.report.leakSuspects[0];
    expect(s.kind).toBe('object');
    expect(s.className).toBe('class HeapShapes');
    expect(s.percent).toBeGreaterThan(50);
    expect(s.accumulationPoint?.className).toBe('java.util.HashMap$Node[]');
    expect(shapes.leak.report.histogram.find((h) => h.className === 'HeapShapes$Payload')?.instances).toBe(10000);
  });

  it('finds -Xmx among the strings of the heap', () => {
    expect(shapes.leak.report.jvm.xmx).toBe('64m');
  });

  it('gives the biggest objects the retained size of the definition (unreachable once removed)', () => {
    const big = shapes.leak.report.biggestObjects;
    expect(big.length).toBe(20);
    for (const b of big) expect(b.retainedBytes).toBe(ref.retainedBy(new Set([BigInt(b.objectId)])));
  });

  it('gives the accumulation point its retained size and shallow size', () => {
    const acc = shapes.leak.report.leakSuspects[0].accumulationPoint!;
    const id = BigInt(acc.objectId);
    expect(acc.retainedBytes).toBe(ref.retainedBy(new Set([id])));
    expect(acc.shallowBytes).toBe(ref.objects.get(id)!.shallow);
  });

  it('gives classes their retained size: exact for the payload, never above the retained set of all instances', () => {
    const ids = (cls: string): Set<bigint> => new Set([...ref.objects.keys()].filter((k) => ref.classNameOf(k) === cls));
    const rows = shapes.leak.report.histogram;
    const payload = rows.find((h) => h.className === 'HeapShapes$Payload')!;
    expect(payload.retainedBytes).toBe(ref.retainedBy(ids('HeapShapes$Payload')));
    for (const row of rows.slice(0, 8)) {
      if (row.className === 'java.lang.Class') continue;
      const precise = ref.retainedBy(ids(row.className));
      expect(row.retainedBytes).toBeLessThanOrEqual(precise);
      expect(row.retainedBytes).toBeGreaterThanOrEqual(row.shallowBytes - shapes.leak.report.unreachable.shallowBytes);
    }
  });

  it('walks the shortest path from the suspect to its GC root with field names', () => {
    const s = shapes.leak.report.leakSuspects[0];
    // class HeapShapes is held by the launcher (its main class) or is a root itself.
    const fields = s.pathToRoot.map((p) => p.field);
    expect(fields.every((f) => f !== '?')).toBe(true);
  });
});

describe('the linked list of a million nodes', () => {
  it('computes dominators and retained sizes through a million-deep chain without overflowing a stack', () => {
    const r = shapes.chain.report;
    const node = r.histogram.find((h) => h.className === 'HeapShapes$ChainNode')!;
    expect(node.instances).toBe(1_000_000);
    // The head dominates every node, so the class retains exactly all of them.
    expect(node.retainedBytes).toBe(node.shallowBytes);
    const holder = r.biggestObjects[0];
    expect(holder.className).toBe('class HeapShapes');
    expect(holder.retainedBytes).toBeGreaterThanOrEqual(node.shallowBytes);
    expect(r.leakSuspects[0].className).toBe('class HeapShapes');
  });
});

describe('the big arrays', () => {
  it('lists the large primitive arrays and the empty collections', () => {
    const r = shapes.arrays.report;
    expect(r.largeArrays[0]).toMatchObject({ className: 'byte[]', length: 8 << 20 });
    expect(r.largeArrays.map((a) => a.className)).toEqual(expect.arrayContaining(['long[]', 'int[]', 'char[]']));
    const empty = new Map(r.emptyCollections.map((e) => [e.className, e]));
    expect(empty.get('java.util.ArrayList')!.count).toBeGreaterThanOrEqual(500);
    expect(empty.get('java.util.HashMap')!.count).toBeGreaterThanOrEqual(500);
    // An emptied ArrayList keeps its 10-slot array: 24 bytes of list + 56 of array with compressed oops.
    expect(empty.get('java.util.ArrayList')!.wastedBytes).toBeGreaterThanOrEqual(500 * (24 + 56));
  });
});

describe('the many strings', () => {
  it('counts duplicate strings and what they waste, decoding Latin-1 and UTF-16 values', () => {
    const d = shapes.strings.report.duplicateStrings;
    const dup = d.filter((x) => x.value.startsWith('duplicate-value-'));
    expect(dup.length).toBeGreaterThanOrEqual(15);
    for (const x of dup) {
      expect(x.count).toBe(500);
      expect(x.wastedBytes).toBeGreaterThan(499 * 24);
    }
    const utf16 = d.find((x) => x.value === 'caf\u00e9 \u4e2d\u6587');
    // 2000 `new String(literal)` plus the literal; `new String(s)` shares s's array, so only the Strings are waste.
    expect(utf16?.count).toBe(2001);
    expect(utf16?.wastedBytes).toBe(2000 * 24);
  });
});

describe('the many classes', () => {
  it('has every generated class with its instance count', () => {
    const r = shapes.classes.report;
    for (let i = 0; i < MANY; i++) expect(count(r, `ManyClasses$C${i}`)).toBe((i % 3) + 1);
    expect(r.summary.classes).toBeGreaterThan(MANY);
  });
});
