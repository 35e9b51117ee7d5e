import type { S3Client } from '@aws-sdk/client-s3';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jvmHeapAnalyzeCard, jvmHeapCard } from '../../../cards/jvm-heap-card.js';
import { UserError } from '../../../src/core/errors.js';
import type { JvmHeapAnalyzeRequest, JvmHeapReport } from '../../../src/core/kinds/jvm.js';
import type { Executor } from '../../../src/core/executor.js';
import type { FollowUpRequest, RunbookServices } from '../../../src/core/runbook.js';
import { createLocalExecutor } from '../../../src/executors/local.js';
import { createDumpFiles } from '../../../src/executors/s3-files.js';
import { runJvmHeap } from '../../../src/runbooks/jvm/heap.js';
import { runJvmHeapAnalyze } from '../../../src/runbooks/jvm/heap-analyze.js';
import { cardText, expectValidCard } from '../../support/adaptive-card.js';
import { fakeS3Client } from '../../support/fake-aws/clients.js';
import { startFakeSsm, type FakeSsmServer } from '../../support/fake-aws/ssm-server.js';
import { compileTestJvm, jvmContext, startTestJvm, type TestJvm } from './test-jvm.js';

const marker = `medic-heap-test-${process.pid}`;
const LEAK_MB = 24;
let jvm: TestJvm;
let compiled: ReturnType<typeof compileTestJvm>;
let dumpDir: string;

beforeAll(async () => {
  compiled = compileTestJvm();
  dumpDir = mkdtempSync(join(tmpdir(), 'medic-heap-dumps-'));
  jvm = await startTestJvm(compiled.classes, marker, [`leak=${LEAK_MB}`]);
}, 120_000);
afterAll(() => {
  jvm?.stop();
  compiled?.cleanup();
  rmSync(dumpDir, { recursive: true, force: true });
});

const inventory = { demo: { tiers: { app: { targets: { instanceIds: ['local'] }, jvm: { process: marker }, names: { local: 'this-host' } } } } };
const meta = { jobId: 'r-1', requestedBy: 'ana@example.com', now: 0 };

function services(extra: Partial<RunbookServices> = {}, headroomPercent?: number): RunbookServices {
  return { executor: createLocalExecutor(), dumps: createDumpFiles({ localDir: dumpDir, ...(headroomPercent !== undefined ? { headroomPercent } : {}) }), ...extra };
}

/** The leak as Eclipse MAT names it: ≥ 10 % of the heap, accumulated in the table of the HashMap in MedicTestJvm.LEAK. */
function expectLeakNamed(report: JvmHeapReport): void {
  const suspect = report.leakSuspects.find((s) => s.accumulationPoint?.className === 'java.util.HashMap$Node[]');
  expect(suspect, JSON.stringify(report.leakSuspects, null, 1)).toBeDefined();
  expect(suspect!.retainedBytes).toBeGreaterThan(LEAK_MB * 1024 * 1024 * 0.9);
  expect(suspect!.percent).toBeGreaterThanOrEqual(10);
  // The static field's holder: the class object of MedicTestJvm (LEAK is static), a GC root itself.
  expect(suspect!.className).toBe('class MedicTestJvm');
}

describe('jvm heap on this host', () => {
  it('writes a gzip dump after the disk check, measures the pause, and the analysis names the leaking HashMap', async () => {
    const ctx = jvmContext(services(), inventory);
    const result = await runJvmHeap({ kind: 'jvm.heap', env: 'demo', target: 'this-host' }, ctx);
    const f = result.facts;
    expect(f).toMatchObject({ source: 'live', pid: jvm.pid, dump: { type: 'local', path: expect.stringMatching(new RegExp(`^${dumpDir}/heap-demo-this-host-.*\\.hprof\\.gz$`)) } });
    const path = (f.dump as { path: string }).path;
    expect(f.dumpBytes).toBe(statSync(path).size);
    expect(gunzipSync(readFileSync(path)).subarray(0, 18).toString('latin1')).toBe('JAVA PROFILE 1.0.2');
    expect(f.pauseMs).toBeGreaterThan(0);
    expect(f.usedHeapBytes).toBeGreaterThan(LEAK_MB * 1024 * 1024);
    expect(f.freeBytes).toBeGreaterThan(f.usedHeapBytes!);
    // No working directory left behind next to the dump.
    expect(readdirSync(dumpDir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    expect(result.analysis.status).toBe('done');
    if (result.analysis.status !== 'done') return;
    expectLeakNamed(result.analysis.report);
    expect(result.summary).toMatch(/^this-host: heap dump [\d.]+ MB, JVM paused \d+ ms; leak suspect: /);
    const fractions = ctx.notes.map((n) => n.fraction).filter((x): x is number => x !== undefined);
    expect(fractions.at(-1)).toBe(1);
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b));

    const card = jvmHeapCard(result, meta);
    expectValidCard(card);
    expect(cardText(card.card)).toMatch(/JVM paused: \d+ ms/);
    expect(cardText(card.card)).toMatch(/Accumulated in \*\*java.util.HashMap\$Node/);
  }, 180_000);

  it('refuses with the numbers when the dump would not fit, and dumps nothing', async () => {
    const before = readdirSync(dumpDir);
    // A headroom no disk can offer: the check compares real free space with the real used heap.
    const ctx = jvmContext(services({}, 9_999_999), inventory);
    const err = await runJvmHeap({ kind: 'jvm.heap', env: 'demo', target: 'this-host' }, ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(new RegExp(`^The heap dump of this-host would not fit: \\d+ MB free in ${dumpDir}, \\d+ MB needed \\(used heap [\\d.]+ MB \\+ 9999999% headroom\\)\\. Nothing was dumped\\.$`));
    const [free, need] = [...(err as Error).message.matchAll(/(\d+) MB (free|needed)/g)].map((m) => Number(m[1]));
    expect(need).toBeGreaterThan(free!);
    expect(readdirSync(dumpDir)).toEqual(before);
  }, 120_000);

  it('queues the analysis as a follow-up job, which then reads the dump and names the leak', async () => {
    const queued: FollowUpRequest[] = [];
    const ctx = jvmContext(services({ followUp: async (f) => (queued.push(f), `${f.parentJobId}-analysis`) }), inventory, 'r-heapjob');
    const result = await runJvmHeap({ kind: 'jvm.heap', env: 'demo', target: 'this-host' }, ctx);
    expect(result.analysis).toEqual({ status: 'queued', jobId: 'r-heapjob-analysis' });
    expect(queued).toHaveLength(1);
    const request = queued[0]!.request as JvmHeapAnalyzeRequest;
    expect(request).toMatchObject({ kind: 'jvm.heap.analyze', env: 'demo', target: { name: 'this-host', instanceId: 'local', tier: 'app' }, dump: result.facts.dump, dumpBytes: result.facts.dumpBytes, parentJobId: 'r-heapjob' });
    expectValidCard(jvmHeapCard(result, meta));
    expect(cardText(jvmHeapCard(result, meta).card)).toContain('Analysis queued as job r-heapjob-analysis');

    const actx = jvmContext(services(), inventory, 'r-heapjob-analysis');
    const analyzed = await runJvmHeapAnalyze(request, actx);
    expectLeakNamed(analyzed.report);
    expect(JSON.parse(analyzed.attachments![0]!.content)).toMatchObject({ summary: { idSize: expect.any(Number) }, leakSuspects: expect.any(Array) });
    const card = jvmHeapAnalyzeCard(analyzed, { ...meta, jobId: 'r-heapjob-analysis' });
    expectValidCard(card);
    expect(cardText(card.card)).toContain('dump taken by job r-heapjob');
  }, 180_000);

  describe('dumps in S3', () => {
    let server: FakeSsmServer;
    let s3: S3Client;
    beforeAll(async () => {
      server = await startFakeSsm({});
      s3 = fakeS3Client(server.endpoint);
    });
    afterAll(async () => {
      s3?.destroy();
      await server?.close();
    });

    it('streams the object to a temporary file for the analyzer and removes it afterwards', async () => {
      const ctx0 = jvmContext(services(), inventory);
      const taken = await runJvmHeap({ kind: 'jvm.heap', env: 'demo', target: 'this-host' }, { ...ctx0, services: { ...ctx0.services, followUp: async () => 'x' } });
      const local = (taken.facts.dump as { path: string }).path;
      server.s3.put('medic-dumps-test', 'medic-dumps/demo/i-1/heap.hprof.gz', readFileSync(local), 'application/gzip');
      const downloads: string[] = [];
      const files = createDumpFiles({ localDir: dumpDir, bucket: 'medic-dumps-test', s3 });
      const tracking = { ...files, download: async (loc: { bucket: string; key: string }, signal?: AbortSignal) => { const d = await files.download(loc, signal); downloads.push(d.path); return d; } };
      const ctx = jvmContext({ executor: createLocalExecutor(), dumps: tracking }, inventory);
      const r = await runJvmHeapAnalyze({ kind: 'jvm.heap.analyze', env: 'demo', target: { env: 'demo', tier: 'app', instanceId: 'i-1', name: 'app-1' }, dump: { type: 's3', bucket: 'medic-dumps-test', key: 'medic-dumps/demo/i-1/heap.hprof.gz' }, dumpBytes: taken.facts.dumpBytes, parentJobId: 'r-x' }, ctx);
      expectLeakNamed(r.report);
      expect(downloads).toHaveLength(1);
      expect(existsSync(downloads[0]!)).toBe(false);
      expect(server.calls.get('S3.GetObject')).toBe(1);
      await expect(createDumpFiles({ localDir: dumpDir, bucket: 'medic-dumps-test', s3 }).download({ bucket: 'medic-dumps-test', key: 'medic-dumps/nope.hprof.gz' })).rejects.toThrow(/is not there/);
      await expect(createDumpFiles({ localDir: dumpDir, bucket: 'medic-dumps-test', s3 }).download({ bucket: 'other-bucket', key: 'x' })).rejects.toThrow(/only from the configured bucket/);
    }, 180_000);

    // An instance's dump step prints where it put the dump; Medic fetches only from its own bucket and prefix.
    const remote = { demo: { tiers: { app: { targets: { instanceIds: ['i-0abc1234'] }, jvm: { process: marker }, names: { 'i-0abc1234': 'app-1' } } } } };
    function reporting(location: string, seen: Array<Record<string, string>>): Executor {
      return {
        run: async (req) => {
          seen.push(req.parameters);
          return { commandId: 'c-1', instances: [{ instanceId: 'i-0abc1234', status: 'Success', exitCode: 0, stderr: '', durationMs: 5, stdout: `===MEDIC-HEAP source=live bytes=1000 pauseMs=5 usedHeap=900 free=99999 pid=42 location=${location}\n` }] };
        },
      };
    }

    it.each([
      ['another bucket', 's3://attacker-bucket/medic-dumps/demo/i-0abc1234/heap.hprof.gz'],
      ['another prefix in the bucket', 's3://medic-dumps-test/backups/db.hprof.gz'],
      ['another instance\'s prefix', 's3://medic-dumps-test/medic-dumps/demo/i-0other123/heap.hprof.gz'],
      ['a path that climbs out of the prefix', 's3://medic-dumps-test/medic-dumps/demo/i-0abc1234/../../../secrets.hprof'],
    ])('refuses a dump step that reports %s, and fetches nothing', async (_what, location) => {
      const calls = server.calls.get('S3.GetObject') ?? 0;
      const seen: Array<Record<string, string>> = [];
      const files = createDumpFiles({ localDir: dumpDir, bucket: 'medic-dumps-test', s3 });
      const followUps: FollowUpRequest[] = [];
      const ctx = jvmContext({ executor: reporting(location, seen), dumps: files, followUp: async (r) => (followUps.push(r), 'r-follow') }, remote);
      const err = await runJvmHeap({ kind: 'jvm.heap', env: 'demo', target: 'app-1' }, ctx).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(UserError);
      expect((err as UserError).message).toContain(`reported its heap dump at ${location}, which is not where Medic asked for it (s3://medic-dumps-test/medic-dumps/demo/i-0abc1234/)`);
      expect(seen[0]).toMatchObject({ S3Bucket: 'medic-dumps-test', S3Prefix: 'medic-dumps/demo/i-0abc1234' });
      expect(followUps).toEqual([]);
      expect(server.calls.get('S3.GetObject') ?? 0).toBe(calls);
    });

    it('refuses to analyze a queued dump outside the bucket, and fetches nothing', async () => {
      const calls = server.calls.get('S3.GetObject') ?? 0;
      server.s3.put('attacker-bucket', 'medic-dumps/demo/i-1/heap.hprof.gz', Buffer.from('not a dump'), 'application/gzip');
      const ctx = jvmContext({ executor: createLocalExecutor(), dumps: createDumpFiles({ localDir: dumpDir, bucket: 'medic-dumps-test', s3 }) }, inventory);
      const request = { kind: 'jvm.heap.analyze', env: 'demo', target: { env: 'demo', tier: 'app', instanceId: 'i-1', name: 'app-1' }, dumpBytes: 10, parentJobId: 'r-x' } as const;
      await expect(runJvmHeapAnalyze({ ...request, dump: { type: 's3', bucket: 'attacker-bucket', key: 'medic-dumps/demo/i-1/heap.hprof.gz' } }, ctx)).rejects.toThrow(/outside s3:\/\/medic-dumps-test\/medic-dumps\/: Medic fetches dumps only from there, nothing was downloaded/);
      await expect(runJvmHeapAnalyze({ ...request, dump: { type: 's3', bucket: 'medic-dumps-test', key: 'elsewhere/heap.hprof.gz' } }, ctx)).rejects.toThrow(/outside s3:\/\/medic-dumps-test\/medic-dumps\//);
      // The files port refuses on its own too: no bucket configured, or a key outside the prefix.
      await expect(createDumpFiles({ localDir: dumpDir, s3 }).download({ bucket: 'attacker-bucket', key: 'medic-dumps/demo/i-1/heap.hprof.gz' })).rejects.toThrow(/No dump bucket is configured.*Set MEDIC_DUMP_BUCKET|No dump bucket is configured/);
      await expect(createDumpFiles({ localDir: dumpDir, bucket: 'medic-dumps-test', s3 }).download({ bucket: 'medic-dumps-test', key: 'elsewhere/x.hprof' })).rejects.toThrow(/only under s3:\/\/medic-dumps-test\/medic-dumps\//);
      expect(server.calls.get('S3.GetObject') ?? 0).toBe(calls);
    });
  });
});
