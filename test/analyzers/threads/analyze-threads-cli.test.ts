import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAnalyzeThreads } from '../../../src/cli/analyze-threads.js';
import { threadSamples, type ThreadSamples } from '../../support/samples.js';
import { jvmFacts } from './jvm-helpers.js';

// Dumps of test/fixtures/java/samples/Deadlock.java, made from a real JVM once per run.
let files: ThreadSamples;
let text: ThreadSamples;
beforeAll(async () => ({ files, text } = await threadSamples()));
const scratch = mkdtempSync(path.join(tmpdir(), 'medic-cli-threads-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runAnalyzeThreads(args, { stdout: (s) => (out += s), stderr: (s) => (err += s) });
  return { code, out, err };
}

describe('medic analyze threads', () => {
  it('prints the JSON contract for several dumps and a top -H file', async () => {
    const r = await cli(files.jstack, files.jstackLater, '--json', '--top', files.top);
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    const json = JSON.parse(r.out) as Record<string, unknown>;
    expect(json.threads).toBe(jvmFacts(text.jstackLater).headers);
    expect((json.deadlocks as unknown[]).length).toBe(2);
    // Two dumps with cpu= measure the window itself; the single top -H sample is the weaker measure.
    expect((json.hotThreads as Array<{ name: string; source: string }>)[0]).toMatchObject({ name: 'cpu-burner', source: 'cpu-delta' });
    expect(json.cpu).toMatchObject({ measured: 'cpu-delta' });
    expect((json.findings as Array<{ severity: string }>)[0].severity).toBe('critical');
  });

  it('prints a readable summary without --json', async () => {
    const r = await cli(files.jcmd);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(new RegExp(`^Threads: ${jvmFacts(text.jcmd).headers}: `));
    expect(r.out).toContain('[CRITICAL] Deadlock: "worker-A" → "worker-B" → "worker-A"');
    // The lock juc-1 parks on, as the JVM printed it in juc-1's stack.
    const juc1 = text.jcmd.slice(text.jcmd.indexOf('"juc-1"'));
    const lock = /parking to wait for {2}<(0x[0-9a-f]+)>/.exec(juc1)![1];
    expect(r.out).toContain(`"juc-1" waits for <${lock}>`);
    expect(r.out).toContain('holder "hot-holder" TIMED_WAITING (sleeping)');
    expect(r.out).toContain('pool-1-thread-*: 4 threads, 4 idle');
    expect(r.out).toContain('CPU during the dumps: unknown (one dump only:');
    expect(r.out).not.toContain('Hottest threads');
  });

  it('exits 1 and says what to do when a file is missing', async () => {
    const r = await cli(path.join(scratch, 'nope.txt'));
    expect(r.code).toBe(1);
    expect(r.err).toContain('nope.txt: no such file');
    expect(r.out).toBe('');
  });

  it('exits 1 with an example of a dump line when the file holds no dump', async () => {
    const f = path.join(scratch, 'app.log');
    writeFileSync(f, 'INFO server started\nWARN slow request\n');
    const r = await cli(f);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`no thread dump found in ${f}: expected lines like '"main" #1 prio=5 ... tid=0x... nid=0x...'`);
  });

  it('reads Latin-1 files (old HP-UX dumps) without failing', async () => {
    const f = path.join(scratch, 'latin1.txt');
    writeFileSync(f, Buffer.from('Full thread dump  [\xc5\xe4 3] (Java HotSpot(TM) 1.5.0):\n\n"w\xe9b-1" prio=10 tid=6000 nid=12 runnable\n\tat a.B.c(B.java:1)\n\n"VM Periodic Task Thread" prio=10 tid=6001 nid=13 waiting on condition\n', 'latin1'));
    const r = await cli(f, '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ threads: 2, states: { RUNNABLE: 1, WAITING: 1 } });
  });

  it.each([
    [[], 'no dump file given'],
    [['--top'], '--top needs a file'],
    [['--frobnicate', 'x'], 'unknown option --frobnicate'],
  ])('exits 1 with usage for %j', async (args, message) => {
    const r = await cli(...args);
    expect(r.code).toBe(1);
    expect(r.err).toContain(message);
    expect(r.err).toContain('usage: medic analyze threads');
  });
});
