import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeHeapDump, HeapDumpError, toHeapReportJson, type HeapReport } from '../../../src/analyzers/hprof/index.js';
import { prng } from '../../support/prng.js';
import { heapSamples, LEAK_ENTRIES, type HeapSamples } from '../../support/samples.js';
import { parseHisto } from './support/jvm.js';

// Dumps of test/fixtures/java/samples/SmallLeak.java, made from a real JVM once per run (test/support/samples.ts).
// The third-party dumps are in heap-dumps.corpus.test.ts (`npm run test:corpus`).
let samples: HeapSamples;
let SAMPLE: string;
/** The plain sample's analysis: the reference the other readings of the same dump are compared with. */
let reference: HeapReport;
beforeAll(async () => {
  samples = await heapSamples();
  SAMPLE = samples.hprof;
  reference = await analyzeHeapDump(SAMPLE);
});
const scratch = mkdtempSync(join(tmpdir(), 'medic-heap-samples-'));
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

describe('the sample (JDK 17, jcmd GC.heap_dump)', () => {
  it('agrees with the jmap -histo:live taken with it', async () => {
    const r = reference;
    const histo = parseHisto(readFileSync(samples.histo, 'utf8'));
    // java.lang.Class differs by design (jvm-shapes.test.ts says why); the sample is taken on a quiet JVM, so every
    // other class must match.
    for (const [cls, h] of histo) {
      if (cls !== 'java.lang.Class') expect({ cls, n: r.histogram.find((x) => x.className === cls)?.instances }).toEqual({ cls, n: h.instances });
    }
    expect(r.histogram.find((h) => h.className === 'SmallLeak$Payload')?.instances).toBe(LEAK_ENTRIES);
    expect(r.summary).toEqual({ objects: r.histogram.reduce((n, h) => n + h.instances, 0), shallowBytes: r.summary.shallowBytes, classes: r.summary.classes, gcRoots: r.summary.gcRoots, idSize: 8, compressedOops: true });
    expect(r.leakSuspects[0]).toMatchObject({ kind: 'object', className: 'class SmallLeak' });
    expect(r.leakSuspects[0].accumulationPoint?.className).toBe('java.util.HashMap$Node[]');
    expect(r.leakSuspects[0].pathToRoot[0]).toEqual({ className: 'class sun.launcher.LauncherHelper', field: 'appClass' });
  });

  it('reads the multi-member gzip that jcmd -gz writes', async () => {
    const gz = readFileSync(samples.gz);
    // jcmd -gz=1 writes many gzip members back to back; the sample must really be one, or this test proves little.
    let members = 0;
    for (let i = 0; i + 2 < gz.length; i++) if (gz[i] === 0x1f && gz[i + 1] === 0x8b && gz[i + 2] === 8) members++;
    expect(members).toBeGreaterThan(1);
    const r = await analyzeHeapDump(samples.gz);
    // A second dump of the same JVM: the same program state, give or take a few JDK-internal objects.
    expect(Math.abs(r.summary.objects - reference.summary.objects)).toBeLessThan(100);
    expect(r.histogram.find((h) => h.className === 'SmallLeak$Payload')?.instances).toBe(LEAK_ENTRIES);
    expect(r.leakSuspects[0].className).toBe('class SmallLeak');
  });

  it('gives the same report for a gzip of the plain file as for the file itself', async () => {
    const f = join(scratch, 'sample.hprof.gz');
    writeFileSync(f, gzipSync(readFileSync(SAMPLE), { level: 1 }));
    const b = await analyzeHeapDump(f);
    const strip = (r: HeapReport) => ({ ...toHeapReportJson(r), seconds: {} });
    expect(strip(b)).toEqual(strip(reference));
  });
});

describe('damaged input', () => {
  it('reports a truncated dump with the byte offset and the partial histogram', async () => {
    const whole = readFileSync(SAMPLE);
    // About two thirds in: well inside the heap-dump segment.
    const cut = Math.floor(whole.length * 0.68);
    const f = join(scratch, 'truncated.hprof');
    writeFileSync(f, whole.subarray(0, cut));
    const e = await expectHeapError(f);
    expect(e.message).toMatch(/ends inside/);
    expect(e.offset).toBeLessThanOrEqual(cut);
    // The offset of the record the cut fell in: within the last few records before the cut.
    expect(e.offset).toBeGreaterThan(cut - 100_000);
    expect(e.partial!.summary.objects).toBeGreaterThan(10_000);
    expect(e.partial!.histogram.find((h) => h.className === 'java.lang.String')!.instances).toBeGreaterThan(1000);
  });

  it('reports a truncated gzip dump the same way', async () => {
    const gz = readFileSync(samples.gz);
    const f = join(scratch, 'truncated.hprof.gz');
    writeFileSync(f, gz.subarray(0, Math.floor(gz.length * 0.9)));
    const e = await expectHeapError(f);
    expect(e.partial!.summary.objects).toBeGreaterThan(1000);
  });

  it('reports corrupt gzip data as such, from the first block or from later ones', async () => {
    const gz = readFileSync(samples.gz);
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
    const gz = readFileSync(samples.gz);
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
    expect(r.summary.objects).toBe(reference.summary.objects);
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
