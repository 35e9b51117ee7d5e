import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeHeapDump, analyzeHeapDumpInWorker, toHeapReportJson, type HeapReport } from '../../../src/analyzers/hprof/index.js';
import { heapSamples } from '../../support/samples.js';
import { REPO } from './support/jvm.js';

// The plain dump of test/fixtures/java/samples/SmallLeak.java, made from a real JVM once per run.
let SAMPLE: string;
beforeAll(async () => {
  SAMPLE = (await heapSamples()).hprof;
});
const strip = (r: HeapReport): unknown => ({ ...toHeapReportJson(r), seconds: {} });
const out = mkdtempSync(join(tmpdir(), 'medic-heap-dist-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('worker threads', () => {
  it('gives the same report with the edge pass split over two workers sharing memory', async () => {
    const one = await analyzeHeapDump(SAMPLE, { threads: 1 });
    const two = await analyzeHeapDump(SAMPLE, { threads: 2 });
    expect(strip(two)).toEqual(strip(one));
    expect(two.emptyCollections).toEqual(one.emptyCollections);
  });

  it('gives the same report with the edge pass split over three workers', async () => {
    const one = await analyzeHeapDump(SAMPLE, { threads: 1 });
    const three = await analyzeHeapDump(SAMPLE, { threads: 3 });
    expect(strip(three)).toEqual(strip(one));
  });

  it('refuses a dump cut short with the byte offset, and leaves nothing running that would keep the process alive', async () => {
    // A worker, stream or handle left open by the failed analysis would keep this child process alive until the
    // timeout kills it.
    const bad = join(out, 'cut.hprof');
    const whole = readFileSync(SAMPLE);
    writeFileSync(bad, whole.subarray(0, Math.floor(whole.length * 0.68)));
    const index = pathToFileURL(join(REPO, 'src/analyzers/hprof/index.ts')).href;
    const script = `import { analyzeHeapDump } from ${JSON.stringify(index)}; analyzeHeapDump(${JSON.stringify(bad)}, { threads: 3 }).then(() => console.log('analyzed'), (e) => console.log('refused: ' + e.name + ': ' + e.message));`;
    const r = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: REPO, timeout: 60_000 });
    expect(r.stdout).toMatch(/^refused: HeapDumpError: .*at byte \d+/);
  });

  it('runs the whole analysis on a worker thread and reports the share of the file read', async () => {
    const seen: number[] = [];
    const r = await analyzeHeapDumpInWorker(SAMPLE, { onProgress: (f) => seen.push(f), threads: 2 });
    expect(strip(r)).toEqual(strip(await analyzeHeapDump(SAMPLE)));
    expect(seen.length).toBeGreaterThan(3);
    expect(seen.every((f, i) => f >= 0 && f <= 1 && (i === 0 || f >= seen[i - 1]))).toBe(true);
    expect(seen.at(-1)).toBe(1);
  });

  it('cancels a running analysis through its AbortSignal', async () => {
    const ac = new AbortController();
    const p = analyzeHeapDumpInWorker(SAMPLE, { signal: ac.signal });
    ac.abort();
    await expect(p).rejects.toThrow(/cancelled/);
  });

  it('runs its workers from the compiled JavaScript too (dist has .js workers and no tsx)', async () => {
    await promisify(execFile)('npx', ['tsc', '--ignoreConfig', '--outDir', out, '--rootDir', REPO, '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--types', 'node', '--skipLibCheck', '--strict', ...['index', 'analyze-worker', 'edge-worker'].map((f) => join(REPO, `src/analyzers/hprof/${f}.ts`))], { cwd: REPO });
    const js = join(out, 'src/analyzers/hprof/index.js');
    // The project build (tsconfig.build.json) compiles all of src/, worker entries included; here only our files.
    // A plain node process (no tsx loader) loading the built module and running both kinds of worker.
    const script = `import(${JSON.stringify(pathToFileURL(js).href)}).then(async (m) => { const r = await m.analyzeHeapDumpInWorker(${JSON.stringify(SAMPLE)}, { threads: 2 }); console.log(JSON.stringify({ objects: r.summary.objects, suspect: r.leakSuspects[0].className })); })`;
    writeFileSync(join(out, 'run.mjs'), script);
    const { stdout } = await promisify(execFile)(process.execPath, [join(out, 'run.mjs')], { env: { ...process.env, NODE_OPTIONS: '' } });
    const here = await analyzeHeapDump(SAMPLE);
    expect(JSON.parse(stdout)).toEqual({ objects: here.summary.objects, suspect: 'class SmallLeak' });
  }, 120_000);
});
