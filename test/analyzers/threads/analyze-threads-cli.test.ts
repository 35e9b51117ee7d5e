import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runAnalyzeThreads } from '../../../src/cli/analyze-threads.js';

const SAMPLES = path.resolve(import.meta.dirname, '../../../../shared/samples');
const sample = (f: string): string => path.join(SAMPLES, f);
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
    const r = await cli(sample('deadlock.jstack-l.txt'), sample('deadlock.jstack-l.plus10s.txt'), '--json', '--top', sample('deadlock.top-H.txt'));
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    const json = JSON.parse(r.out) as Record<string, unknown>;
    expect(json.threads).toBe(34);
    expect((json.deadlocks as unknown[]).length).toBe(2);
    // Two dumps with cpu= measure the window itself; the single top -H sample is the weaker measure.
    expect((json.hotThreads as Array<{ name: string; source: string }>)[0]).toMatchObject({ name: 'cpu-burner', source: 'cpu-delta' });
    expect(json.cpu).toMatchObject({ measured: 'cpu-delta' });
    expect((json.findings as Array<{ severity: string }>)[0].severity).toBe('critical');
  });

  it('prints a readable summary without --json', async () => {
    const r = await cli(sample('deadlock.jcmd-Thread.print-l.txt'));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Threads: 34: /);
    expect(r.out).toContain('[CRITICAL] Deadlock: "worker-A" → "worker-B" → "worker-A"');
    expect(r.out).toContain('"juc-1" waits for <0x000000069ec2db10>');
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
