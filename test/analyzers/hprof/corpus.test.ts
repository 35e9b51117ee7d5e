import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeHeapDump, HeapDumpError, toHeapReportJson, type HeapReport } from '../../../src/analyzers/hprof/index.js';
import { prng } from '../../support/prng.js';
import { parseHisto, SHARED } from './support/jvm.js';

// Shared samples and the third-party corpus are read in place (../shared), never copied into the repository.
const SAMPLE = join(SHARED, 'samples/small-leak-4k.hprof');
const CORPUS = join(SHARED, 'corpus/heap');
const scratch = mkdtempSync(join(tmpdir(), 'medic-heap-corpus-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const expectHeapError = async (file: string): Promise<HeapDumpError> => {
  try {
    await analyzeHeapDump(file);
  } catch (e) {
    expect(e).toBeInstanceOf(HeapDumpError);
    return e as HeapDumpError;
  }
  throw new Error(`${file} was analyzed without an error`);
};

describe('the shared sample (JDK 17, jcmd GC.heap_dump)', () => {
  it('agrees with the jmap -histo:live taken with it', async () => {
    const r = await analyzeHeapDump(SAMPLE);
    const histo = parseHisto(readFileSync(join(SHARED, 'samples/small-leak-4k.histo-live.txt'), 'utf8'));
    // The sample was taken without first letting the Cleaner thread run (see test/analyzers/hprof/support/jvm.ts):
    // these two classes changed between the dump and the histogram. Our own JVM tests take the quiet path.
    const timing = new Set(['java.lang.Class', 'jdk.internal.ref.CleanerImpl$PhantomCleanableRef', 'java.lang.invoke.MethodHandleNatives$CallSiteContext']);
    for (const [cls, h] of histo) {
      if (!timing.has(cls)) expect({ cls, n: r.histogram.find((x) => x.className === cls)?.instances }).toEqual({ cls, n: h.instances });
    }
    expect(r.summary).toEqual({ objects: 48503, shallowBytes: r.summary.shallowBytes, classes: r.summary.classes, gcRoots: r.summary.gcRoots, idSize: 8, compressedOops: true });
    expect(r.leakSuspects[0]).toMatchObject({ kind: 'object', className: 'class SmallLeak' });
    expect(r.leakSuspects[0].accumulationPoint?.className).toBe('java.util.HashMap$Node[]');
    expect(r.leakSuspects[0].pathToRoot[0]).toEqual({ className: 'class sun.launcher.LauncherHelper', field: 'appClass' });
  });

  it('reads the multi-member gzip that jcmd -gz writes', async () => {
    const gz = readFileSync(`${SAMPLE}.gz`);
    // jcmd -gz=1 writes many gzip members back to back; the sample must really be one, or this test proves little.
    let members = 0;
    for (let i = 0; i + 2 < gz.length; i++) if (gz[i] === 0x1f && gz[i + 1] === 0x8b && gz[i + 2] === 8) members++;
    expect(members).toBeGreaterThan(1);
    const r = await analyzeHeapDump(`${SAMPLE}.gz`);
    // A second dump of the same JVM: the same program state, give or take a few JDK-internal objects.
    expect(Math.abs(r.summary.objects - 48503)).toBeLessThan(100);
    expect(r.histogram.find((h) => h.className === 'SmallLeak$Payload')?.instances).toBe(4000);
    expect(r.leakSuspects[0].className).toBe('class SmallLeak');
  });

  it('gives the same report for a gzip of the plain file as for the file itself', async () => {
    const f = join(scratch, 'sample.hprof.gz');
    writeFileSync(f, gzipSync(readFileSync(SAMPLE), { level: 1 }));
    const [a, b] = await Promise.all([analyzeHeapDump(SAMPLE), analyzeHeapDump(f)]);
    const strip = (r: HeapReport) => ({ ...toHeapReportJson(r), seconds: {} });
    expect(strip(b)).toEqual(strip(a));
  });
});

/** Rows of hprof-slurp's "Top 20 raw shallow heap classes" table: [instances, class name]. */
function slurpTop(text: string): Array<[number, string]> {
  const part = text.split('Top 20 raw shallow heap classes:')[1].split('\n\n')[1];
  return part
    .split('\n')
    .map((l) => /^\|[^|]+\|\s*(\d+)\s*\|[^|]+\|\s*(\S+)\s*\|$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => [Number(m[1]), m[2]]);
}

describe('the third-party corpus', () => {
  it.each([
    // [file, objects = class + instance + object-array + primitive-array dumps, per the corpus manifest's census]
    ['jdk8u-jhat-jmap.hprof', 352 + 1088 + 484 + 576, 4],
    ['jdk8u-jhat-hprof-agent.hprof', 361 + 1293 + 423 + 849, 4],
    ['netbeans-hprof-64.hprof', 474 + 4149 + 748 + 2891, 8],
    ['pyhprof-example-java-jmap.hprof', 504 + 14484 + 1500 + 7977, 8],
  ])('analyzes %s completely', async (file, objects, idSize) => {
    const r = await analyzeHeapDump(join(CORPUS, file));
    expect(r.summary.objects).toBe(objects);
    expect(r.summary.idSize).toBe(idSize);
    expect(r.histogram.reduce((s, h) => s + h.instances, 0)).toBe(objects);
    expect(r.summary.gcRoots).toBeGreaterThan(0);
    expect(r.biggestObjects.length).toBeGreaterThan(0);
    expect(r.jvm.systemProperties['java.vm.name']).toBeTruthy();
  });

  it.each(['jdk8u-jhat-hprof-agent.hprof', 'netbeans-hprof-64.hprof'])('agrees with hprof-slurp on the instance counts of %s', async (file) => {
    const r = await analyzeHeapDump(join(CORPUS, file));
    const top = slurpTop(readFileSync(join(CORPUS, `${file}-slurp-result.txt`), 'utf8'));
    expect(top.length).toBe(20);
    for (const [instances, name] of top) {
      if (name === 'java.lang.Class') continue; // hprof-slurp counts only INSTANCE_DUMPs of Class, we add class objects
      // hprof-slurp appends "[]" to object-array class names that the old agent already wrote as arrays
      // ("[Ljava.lang.Object;"), printing java.lang.Object[][] for Object[]: accept that spelling.
      const row = r.histogram.find((h) => h.className === name) ?? r.histogram.find((h) => `${h.className}[]` === name && h.className.endsWith('[]'));
      expect({ name, instances: row?.instances }).toEqual({ name, instances });
    }
  });

  it('reports an empty heap for a dump with no heap-dump record at all', async () => {
    const r = await analyzeHeapDump(join(CORPUS, 'jdk8u-jhat-minimal.hprof'));
    expect(r.summary.objects).toBe(0);
    expect(r.histogram).toEqual([]);
    expect(r.leakSuspects).toEqual([]);
    expect(r.summary.idSize).toBe(4);
  });
});

describe('damaged input', () => {
  it('reports a truncated dump with the byte offset and the partial histogram', async () => {
    const whole = readFileSync(SAMPLE);
    const cut = 3_000_000;
    const f = join(scratch, 'truncated.hprof');
    writeFileSync(f, whole.subarray(0, cut));
    const e = await expectHeapError(f);
    expect(e.message).toMatch(/ends inside/);
    expect(e.offset).toBeLessThanOrEqual(cut);
    expect(e.offset).toBeGreaterThan(cut - 5_000_000);
    expect(e.partial!.summary.objects).toBeGreaterThan(10_000);
    expect(e.partial!.histogram.find((h) => h.className === 'java.lang.String')!.instances).toBeGreaterThan(1000);
  });

  it('reports a truncated gzip dump the same way', async () => {
    const gz = readFileSync(`${SAMPLE}.gz`);
    const f = join(scratch, 'truncated.hprof.gz');
    writeFileSync(f, gz.subarray(0, Math.floor(gz.length * 0.9)));
    const e = await expectHeapError(f);
    expect(e.partial!.summary.objects).toBeGreaterThan(1000);
  });

  it('reports corrupt gzip data as such, from the first block or from later ones', async () => {
    const gz = readFileSync(`${SAMPLE}.gz`);
    for (const at of [20, Math.floor(gz.length * 0.8)]) {
      const b = Buffer.from(gz);
      for (let j = 0; j < 8; j++) b[at + j] ^= 0x5a;
      const f = join(scratch, `corrupt-${at}.hprof.gz`);
      writeFileSync(f, b);
      const e = await expectHeapError(f);
      expect(e.message).toMatch(/the gzip data is corrupt \(zlib: .+\); copy the dump again/);
    }
  });

  it('answers randomly damaged dumps, plain and gzip, with a report or a HeapDumpError, never another error', async () => {
    const plain = readFileSync(SAMPLE);
    const gz = readFileSync(`${SAMPLE}.gz`);
    const rand = prng(2026);
    const outcomes = { report: 0, refused: 0 };
    for (let i = 0; i < 24; i++) {
      const b = Buffer.from(i % 4 === 3 ? gz : plain);
      // Random bytes, a random 32-bit value (often a length or an id) or a block of 0xFF, anywhere in the file.
      const at = Math.floor(rand() * (b.length - 4096));
      if (i % 3 === 0) for (let j = 0; j < 8; j++) b[at + j] = Math.floor(rand() * 256);
      else if (i % 3 === 1) b.writeUInt32BE(Math.floor(rand() * 2 ** 32), at);
      else b.fill(0xff, at, at + 4096);
      const f = join(scratch, `damaged-${i}.hprof${i % 4 === 3 ? '.gz' : ''}`);
      writeFileSync(f, b);
      try {
        const r = await analyzeHeapDump(f);
        expect(r.summary.objects).toBeGreaterThan(0);
        outcomes.report++;
      } catch (e) {
        expect(e, `damage ${i} at byte ${at}`).toBeInstanceOf(HeapDumpError);
        expect((e as HeapDumpError).offset).toBeLessThanOrEqual(plain.length);
        outcomes.refused++;
      }
    }
    // Both outcomes occur: damage in array bodies goes unnoticed, damage in headers does not.
    expect(outcomes.report).toBeGreaterThan(0);
    expect(outcomes.refused).toBeGreaterThan(0);
  });

  it('skips an unknown record by its length with a warning', async () => {
    const whole = readFileSync(SAMPLE);
    const headerEnd = whole.indexOf(0) + 13;
    const odd = Buffer.alloc(9 + 7);
    odd[0] = 0x99;
    odd.writeUInt32BE(7, 5);
    const f = join(scratch, 'unknown-record.hprof');
    writeFileSync(f, Buffer.concat([whole.subarray(0, headerEnd), odd, whole.subarray(headerEnd)]));
    const r = await analyzeHeapDump(f);
    expect(r.warnings.join('\n')).toMatch(/unknown record tag 0x99 at offset \d+ \(7 bytes\) skipped/);
    expect(r.summary.objects).toBe(48503);
  });

  it('refuses a file that is not an HPROF dump', async () => {
    const f = join(scratch, 'not-a-dump.hprof');
    writeFileSync(f, 'Full thread dump OpenJDK 64-Bit Server VM\n');
    const e = await expectHeapError(f);
    expect(e.offset).toBe(0);
    expect(e.message).toMatch(/not an HPROF heap dump/);
    expect(e.partial).toBeNull();
  });

  it('reports a record whose length runs past its heap segment as corrupt', async () => {
    const whole = Buffer.from(readFileSync(SAMPLE));
    // Find the first INSTANCE_DUMP after the class dumps and give it an absurd field-bytes length.
    const seg = whole.indexOf(Buffer.from([0x1c, 0, 0, 0, 0]));
    let p = -1;
    for (let i = seg + 9 + 200_000; i < whole.length; i++) {
      if (whole[i] === 0x21 && whole.readUInt32BE(i + 1 + 8 + 4 + 8) < 100) {
        p = i;
        break;
      }
    }
    whole.writeUInt32BE(0x7fffffff, p + 1 + 8 + 4 + 8);
    const f = join(scratch, 'corrupt.hprof');
    writeFileSync(f, whole);
    const e = await expectHeapError(f);
    expect(e.message).toMatch(/runs past the end of its heap-dump segment/);
    expect(e.offset).toBeGreaterThan(seg);
    expect(e.partial!.summary.objects).toBeGreaterThan(0);
  });
});
