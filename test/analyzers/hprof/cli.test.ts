import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAnalyzeHeap } from '../../../src/cli/analyze-heap.js';
import { heapSamples, type HeapSamples } from '../../support/samples.js';

// Dumps of test/fixtures/java/samples/SmallLeak.java, made from a real JVM once per run.
let samples: HeapSamples;
beforeAll(async () => {
  samples = await heapSamples();
});
const scratch = mkdtempSync(join(tmpdir(), 'medic-heap-cli-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runAnalyzeHeap(args, { stdout: (s) => (out += s), stderr: (s) => (err += s) });
  return { code, out, err };
}

describe('medic analyze heap', () => {
  it('prints the JSON document with exactly the documented keys', async () => {
    const r = await cli([samples.gz, '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(Object.keys(j)).toEqual(['summary', 'histogram', 'biggestObjects', 'leakSuspects', 'duplicateStrings', 'seconds']);
    expect(Object.keys(j.summary)).toEqual(['objects', 'shallowBytes', 'classes', 'gcRoots', 'idSize', 'compressedOops']);
    expect(Object.keys(j.histogram[0])).toEqual(['className', 'instances', 'shallowBytes', 'retainedBytes']);
    expect(j.biggestObjects).toHaveLength(20);
    expect(j.biggestObjects[0].objectId).toMatch(/^0x[0-9a-f]+$/);
    expect(Object.keys(j.biggestObjects[0])).toEqual(['objectId', 'className', 'shallowBytes', 'retainedBytes', 'pathToRoot']);
    expect(j.histogram.every((h: { instances: number }) => h.instances > 0)).toBe(true);
    expect(j.seconds.total).toBeGreaterThan(0);
  });

  it('prints a readable summary with the suspect first', async () => {
    const r = await cli(['analyze', 'heap', samples.hprof]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Leak suspects:\n {2}class SmallLeak retains/);
    expect(r.out).toContain('accumulated in java.util.HashMap$Node[]');
  });

  it.each([
    [[], /no heap dump given/],
    [['a.hprof', 'b.hprof'], /exactly one heap dump/],
    [['app.hprof', '--yaml'], /unknown option --yaml/],
    [['/nonexistent/app.hprof'], /no such file\. Take a dump with `jcmd <pid> GC.heap_dump/],
  ])('exits 1 with advice for %j', async (args, message) => {
    const r = await cli(args as string[]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(message);
  });

  it('exits 1 on a file that is not a dump and says what to pass', async () => {
    const f = join(scratch, 'thread-dump.txt');
    writeFileSync(f, '"main" #1 prio=5 os_prio=0 tid=0x1 nid=0x2 runnable\n');
    const r = await cli([f]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/not an HPROF heap dump .*byte offset 0.*jcmd <pid> GC.heap_dump/);
  });
});
