import { beforeAll, describe, expect, it } from 'vitest';
import { analyzeThreadDumps, NoThreadDumpError, normalisePoolName, toThreadReportJson } from '../../../src/analyzers/threads/index.js';
import { threadSamples } from '../../support/samples.js';
import { jvmFacts } from './jvm-helpers.js';

// Dumps of test/fixtures/java/samples/Deadlock.java, made from a real JVM once per run (test/support/samples.ts).
type Input = { name: string; text: string };
let JSTACK: Input;
let LATER: Input;
let JCMD: Input;
let TOP: Input;
let THREADS: number;
beforeAll(async () => {
  const { text } = await threadSamples();
  JSTACK = { name: 'deadlock.jstack-l.txt', text: text.jstack };
  LATER = { name: 'deadlock.jstack-l.later.txt', text: text.jstackLater };
  JCMD = { name: 'deadlock.jcmd-Thread.print-l.txt', text: text.jcmd };
  TOP = { name: 'deadlock.top-H.txt', text: text.top };
  // Thread headers as the JVM printed them: the oracle for counts (GC and compiler threads vary by machine).
  THREADS = jvmFacts(text.jstack).headers;
});

function cycles(report: ReturnType<typeof analyzeThreadDumps>): string[] {
  return report.deadlocks.map((d) => `${[...d.threads].sort().join('+')}:${d.locks.map((l) => l.kind).join(',')}`).sort();
}

/** A field of a thread's header line (`cpu=`, `elapsed=`, `nid=`), read straight from the text: the oracle. */
function header(text: string, thread: string): { cpuMs: number; elapsedMs: number; nid: number } {
  const line = text.split('\n').find((l) => l.startsWith(`"${thread}"`))!;
  return { cpuMs: Number(/cpu=([\d.]+)ms/.exec(line)![1]), elapsedMs: Number(/elapsed=([\d.]+)s/.exec(line)![1]) * 1000, nid: Number.parseInt(/nid=0x([0-9a-f]+)/.exec(line)![1], 16) };
}

describe('the JDK 17 deadlock samples', () => {
  it.each(['jstack -l', 'the later jstack -l', 'jcmd Thread.print -l'])('finds the monitor pair and the ReentrantLock pair in %s', (which) => {
    const input = { 'jstack -l': JSTACK, 'the later jstack -l': LATER, 'jcmd Thread.print -l': JCMD }[which]!;
    const report = analyzeThreadDumps([input]);
    expect(cycles(report)).toEqual(['juc-1+juc-2:synchronizer,synchronizer', 'worker-A+worker-B:monitor,monitor']);
    expect(report.deadlocks.every((d) => d.source === 'both')).toBe(true);
    const juc = report.deadlocks.find((d) => d.threads.includes('juc-1'))!;
    expect(juc.locks.every((l) => l.type === 'java.util.concurrent.locks.ReentrantLock$NonfairSync')).toBe(true);
    expect(juc.locks.find((l) => l.waiter === 'juc-1')!.heldBy).toBe('juc-2');
    expect(report.findings.slice(0, 2).map((f) => f.severity)).toEqual(['critical', 'critical']);
  });

  it('finds both cycles from the lock graph when the JVM section is cut off', () => {
    const text = JSTACK.text.slice(0, JSTACK.text.indexOf('Found one Java-level deadlock'));
    const report = analyzeThreadDumps([{ name: 'cut', text }]);
    expect(cycles(report)).toHaveLength(2);
    expect(report.deadlocks.every((d) => d.source === 'lock-graph')).toBe(true);
  });

  it('names hot-holder as the holder five threads are blocked behind, sleeping', () => {
    const report = analyzeThreadDumps([JSTACK]);
    const top = report.contention[0];
    expect(top).toMatchObject({ holder: 'hot-holder', waiters: 5, kind: 'monitor', holderIdle: true, holderState: 'TIMED_WAITING (sleeping)' });
    expect(top.waiterNames).toEqual(['hot-waiter-0', 'hot-waiter-1', 'hot-waiter-2', 'hot-waiter-3', 'hot-waiter-4']);
    expect(top.holderFrames[0]).toContain('java.lang.Thread.sleep');
    expect(top.holderFrames[1]).toContain('Deadlock.sleep');
    expect(report.findings.find((f) => f.title.includes('hot-holder'))?.severity).toBe('warn');
  });

  it('groups identical stacks: 5 hot-waiters and the 4 idle pool threads', () => {
    const report = analyzeThreadDumps([JSTACK]);
    expect(report.groups.slice(0, 2).map((g) => [g.count, g.state])).toEqual([
      [5, 'BLOCKED'],
      [4, 'WAITING'],
    ]);
    const pool = report.pools.find((p) => p.name === 'pool-1-thread-*');
    expect(pool).toMatchObject({ size: 4, idle: 4, saturated: false });
  });

  it('measures the busy thread by the cpu= delta between the two jstack files', () => {
    const report = analyzeThreadDumps([JSTACK, LATER]);
    const hot = report.hotThreads[0];
    expect(hot.name).toBe('cpu-burner');
    expect(hot.source).toBe('cpu-delta');
    const [before, after] = [header(JSTACK.text, 'cpu-burner'), header(LATER.text, 'cpu-burner')];
    expect(hot.cpuMs).toBeCloseTo(after.cpuMs - before.cpuMs, 1);
    // The share of a core the JVM's own counters give (this busy machine decides it, not the program).
    const percent = ((after.cpuMs - before.cpuMs) / (after.elapsedMs - before.elapsedMs)) * 100;
    expect(Math.abs(hot.cpuPercent! - percent)).toBeLessThan(5);
    // A warning at 80% of a core or more, a note from 30%, nothing below.
    const finding = report.findings.find((f) => f.title.includes('"cpu-burner"'));
    expect(finding?.severity).toBe(hot.cpuPercent! >= 80 ? 'warn' : hot.cpuPercent! >= 30 ? 'info' : undefined);
  });

  it('matches top -H rows to threads by nid', () => {
    const report = analyzeThreadDumps([JSTACK], { top: [TOP] });
    const hot = report.hotThreads[0];
    const nid = header(JSTACK.text, 'cpu-burner').nid;
    // top's own row for that thread id is the oracle for its %CPU.
    const row = TOP.text.split('\n').find((l) => l.trim().startsWith(`${nid} `))!.trim().split(/\s+/);
    expect(hot).toMatchObject({ name: 'cpu-burner', source: 'top-H', nid, cpuPercent: Number(row[8]) });
    expect(hot.frames[0]).toContain('Deadlock.lambda$main$7');
    // The launcher thread (the process id itself) is in top but not in the dump: not a Java thread, not listed.
    const pid = Number(TOP.text.split('\n').find((l) => / java$/.test(l))!.trim().split(/\s+/)[0]);
    expect(report.hotThreads.map((h) => h.nid)).not.toContain(pid);
  });

  it('reports threads stuck in the same stack in both dumps, not idle ones', () => {
    const stuck = analyzeThreadDumps([JSTACK, LATER]).stuck.map((s) => s.name);
    expect(stuck).toEqual(expect.arrayContaining(['worker-A', 'worker-B', 'juc-1', 'juc-2', 'hot-waiter-0', 'cpu-burner']));
    expect(stuck).not.toContain('pool-1-thread-1');
    expect(stuck).not.toContain('Reference Handler');
  });

  it('reads two dumps concatenated in one file like two files', () => {
    const one = analyzeThreadDumps([{ name: 'both.txt', text: `${JSTACK.text}\n${LATER.text}` }]);
    const two = analyzeThreadDumps([JSTACK, LATER]);
    expect(one.dumps.map((d) => d.threads)).toEqual([THREADS, jvmFacts(LATER.text).headers]);
    expect(one.hotThreads[0]).toEqual(two.hotThreads[0]);
    expect(one.deadlocks).toEqual(two.deadlocks);
  });

  it('ignores log lines around the dump and skips, with a warning, those inside it', () => {
    const log = (s: string): string => `2026-11-26 03:15:54.123 INFO  [main] c.e.App - ${s}`;
    const around = [log('starting'), JSTACK.text, log('still alive'), 'Exception in thread "x" java.lang.RuntimeException'].join('\n');
    const clean = analyzeThreadDumps([{ name: 'around.log', text: around }]);
    expect(clean.threads).toBe(THREADS);
    expect(clean.warnings).toEqual([]);
    // One log line in the middle of the first hot-waiter's stack.
    const frame = /^\tat Deadlock\.lambda\$main\$5\(Deadlock\.java:\d+\)\n/m.exec(JSTACK.text)![0];
    const inside = JSTACK.text.replace(frame, `${frame}${log('interleaved')}\n`);
    const noisy = analyzeThreadDumps([{ name: 'inside.log', text: inside }]);
    expect(noisy.threads).toBe(THREADS);
    expect(cycles(noisy)).toEqual(cycles(clean));
    expect(noisy.contention[0].waiters).toBe(5);
    expect(noisy.warnings.join('\n')).toMatch(/skipped 1 line/);
  });

  it('gives a partial result and a warning for a dump cut in the middle of a thread', () => {
    const cut = JSTACK.text.slice(0, JSTACK.text.indexOf('"hot-waiter-3"') + 200);
    const report = analyzeThreadDumps([{ name: 'cut.txt', text: cut }]);
    // Every header before the cut, the cut one included.
    expect(report.threads).toBe(jvmFacts(cut).headers);
    expect(report.warnings.join('\n')).toMatch(/truncated.*"hot-waiter-3"/);
    expect(cycles(report)).toHaveLength(2);
  });

  it('uses the last dump for counts when given several files', () => {
    const small = JSTACK.text.slice(0, JSTACK.text.indexOf('"worker-A"'));
    const report = analyzeThreadDumps([JSTACK, { name: 'small', text: small }]);
    expect(report.dumps.map((d) => d.threads)).toEqual([THREADS, jvmFacts(small).headers]);
    expect(report.threads).toBe(jvmFacts(small).headers);
  });

  it('throws NoThreadDumpError with what a dump looks like when no input has one', () => {
    const attempt = (): unknown => analyzeThreadDumps([{ name: 'app.log', text: 'INFO started\nWARN slow request\n' }]);
    expect(attempt).toThrow(NoThreadDumpError);
    expect(attempt).toThrow(`no thread dump found in app.log: expected lines like '"main" #1 prio=5 ... tid=0x... nid=0x...'`);
  });

  it('produces the CLI JSON contract', () => {
    const json = JSON.parse(JSON.stringify(toThreadReportJson(analyzeThreadDumps([JSTACK, LATER])))) as Record<string, unknown>;
    expect(Object.keys(json).slice(0, 8)).toEqual(['threads', 'states', 'deadlocks', 'contention', 'groups', 'hotThreads', 'findings', 'warnings']);
    const threads = jvmFacts(LATER.text).headers;
    expect(json.threads).toBe(threads);
    const states = json.states as Record<string, number>;
    expect(Object.values(states).reduce((a, b) => a + b, 0)).toBe(threads);
    expect(states.BLOCKED).toBe(LATER.text.split('\n').filter((l) => l.includes('java.lang.Thread.State: BLOCKED')).length);
    const deadlocks = json.deadlocks as Array<{ threads: string[]; locks: unknown[] }>;
    expect(deadlocks[0].threads).toEqual(['worker-A', 'worker-B']);
    expect(deadlocks[0].locks).toHaveLength(2);
    const groups = json.groups as Array<Record<string, unknown>>;
    expect(groups[0]).toMatchObject({ count: 5, state: 'BLOCKED' });
    expect((json.hotThreads as Array<Record<string, unknown>>)[0]).toMatchObject({ name: 'cpu-burner' });
    for (const f of json.findings as Array<Record<string, unknown>>) expect(['critical', 'warn', 'info']).toContain(f.severity);
  });
});

describe('normalisePoolName', () => {
  it.each([
    ['http-nio-8080-exec-12', 'http-nio-8080-exec-*'],
    ['pool-1-thread-3', 'pool-1-thread-*'],
    ['GC Thread#0', 'GC Thread#*'],
    ['C2 CompilerThread0', 'C2 CompilerThread*'],
    ['ForkJoinPool-1-worker-3', 'ForkJoinPool-1-worker-*'],
    ['ACJH_SOPSI_BAN_01-w13 [container1-361]', 'ACJH_SOPSI_BAN_01-w*'],
    ['main', 'main'],
  ])('%s → %s', (name, pool) => {
    expect(normalisePoolName(name)).toBe(pool);
  });
});
