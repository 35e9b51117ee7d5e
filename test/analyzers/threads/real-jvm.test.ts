import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeThreadDumps, parseThreadDumps } from '../../../src/analyzers/threads/index.js';
import type { ThreadReport } from '../../../src/analyzers/threads/types.js';
import { compileThreadPrograms, jcmdThreadPrint, jstackL, jvmFacts, startJvm, topThreads, type CompiledPrograms, type RunningJvm } from './jvm-helpers.js';

// Real JVMs (Java 17 from /usr/bin) in the scenarios the analyzer must recognise; the JVM's own output is the oracle.
const PROGRAMS = ['ThreadMonitorDeadlock', 'ThreadLockDeadlock', 'ThreadContended', 'ThreadBusy', 'ThreadSaturatedPool'] as const;
type Program = (typeof PROGRAMS)[number];

let compiled: CompiledPrograms | undefined;
const jvms = new Map<Program, RunningJvm>();
const dumps = new Map<Program, { jcmd: string; jstack: string }>();

beforeAll(async () => {
  compiled = await compileThreadPrograms();
  const started = await Promise.allSettled(PROGRAMS.map(async (p) => jvms.set(p, await startJvm(compiled!.dir, p))));
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
  for (const p of PROGRAMS) {
    if (p === 'ThreadBusy') continue; // its dumps are taken in its own test, around a measured interval
    const pid = jvms.get(p)!.pid;
    dumps.set(p, { jcmd: await jcmdThreadPrint(pid), jstack: await jstackL(pid) });
  }
});

afterAll(() => {
  for (const j of jvms.values()) j.kill();
  compiled?.cleanup();
});

function analyze(p: Program, tool: 'jcmd' | 'jstack'): { report: ThreadReport; text: string } {
  const text = dumps.get(p)![tool];
  return { report: analyzeThreadDumps([{ name: `${p}.${tool}.txt`, text }]), text };
}

const TOOLS = ['jcmd', 'jstack'] as const;

describe('analysis of dumps from live JVMs', () => {
  it.each(PROGRAMS.filter((p) => p !== 'ThreadBusy').flatMap((p) => TOOLS.map((t) => [p, t] as const)))(
    'counts the same threads and states as the JVM prints (%s, %s)',
    (p, tool) => {
      const { report, text } = analyze(p, tool);
      const jvm = jvmFacts(text);
      expect(report.threads).toBe(jvm.headers);
      expect(report.warnings).toEqual([]);
      // Threads with a Thread.State line must carry exactly that state; VM threads get theirs from the header.
      const [dump] = parseThreadDumps({ name: p, text }).dumps;
      const fromStateLines: Record<string, number> = {};
      for (const t of dump.threads) if (t.stateSource === 'state-line') fromStateLines[t.state] = (fromStateLines[t.state] ?? 0) + 1;
      expect(fromStateLines).toEqual(jvm.states);
      const total = Object.values(report.states).reduce((a, b) => a + b, 0);
      expect(total).toBe(report.threads);
    },
  );

  it.each(TOOLS)('finds the monitor deadlock the JVM reports, from the lock graph (%s)', (tool) => {
    const { report, text } = analyze('ThreadMonitorDeadlock', tool);
    const jvm = jvmFacts(text);
    expect(jvm.deadlocks).toHaveLength(1);
    expect(report.deadlocks).toHaveLength(1);
    const d = report.deadlocks[0];
    expect(new Set(d.threads)).toEqual(new Set(jvm.deadlocks[0]));
    expect(d.source).toBe('both');
    expect(d.locks.map((l) => l.kind)).toEqual(['monitor', 'monitor']);
    expect(report.findings[0].severity).toBe('critical');
  });

  it.each(TOOLS)('finds the ReentrantLock deadlock the JVM reports, from ownable synchronizers (%s)', (tool) => {
    const { report, text } = analyze('ThreadLockDeadlock', tool);
    const jvm = jvmFacts(text);
    expect(jvm.deadlocks).toHaveLength(1);
    expect(report.deadlocks).toHaveLength(1);
    const d = report.deadlocks[0];
    expect(new Set(d.threads)).toEqual(new Set(['juc-left', 'juc-right']));
    expect(new Set(d.threads)).toEqual(new Set(jvm.deadlocks[0]));
    expect(d.source).toBe('both');
    expect(d.locks.every((l) => l.kind === 'synchronizer' && l.type.includes('ReentrantLock'))).toBe(true);
  });

  it('finds the same deadlock without the JVM section, from the lock graph alone', () => {
    const { text } = analyze('ThreadLockDeadlock', 'jcmd');
    const cut = text.slice(0, text.indexOf('Found one Java-level deadlock'));
    const report = analyzeThreadDumps([{ name: 'no-section', text: cut }]);
    expect(report.deadlocks.map((d) => [d.source, new Set(d.threads)])).toEqual([['lock-graph', new Set(['juc-left', 'juc-right'])]]);
  });

  it.each(TOOLS)('names the holder of the contended monitor and lock, and what it does (%s)', (tool) => {
    const { report } = analyze('ThreadContended', tool);
    expect(report.deadlocks).toEqual([]);
    const [first, second] = report.contention;
    expect(first).toMatchObject({ holder: 'monitor-holder', waiters: 6, kind: 'monitor', holderIdle: true });
    expect(first.holderState).toMatch(/^TIMED_WAITING/);
    expect(first.holderFrames.some((f) => f.includes('ThreadContended.slowWhileHolding'))).toBe(true);
    expect(second).toMatchObject({ holder: 'lock-holder', waiters: 3, kind: 'synchronizer' });
    expect(first.waiterNames.every((n) => n.startsWith('monitor-waiter-'))).toBe(true);
    expect(report.findings.some((f) => f.severity === 'warn' && f.title.includes('"monitor-holder"'))).toBe(true);
  });

  it.each(TOOLS)('reports the pool whose every worker is stuck in the same frame as saturated (%s)', (tool) => {
    const { report } = analyze('ThreadSaturatedPool', tool);
    const busy = report.pools.find((p) => p.name === 'backend-pool-*');
    const idle = report.pools.find((p) => p.name === 'idle-pool-*');
    expect(busy).toMatchObject({ size: 5, idle: 0, saturated: true, topFrameCount: 5 });
    expect(busy!.topFrame).toContain('ThreadSaturatedPool.callSlowBackend');
    expect(idle).toMatchObject({ size: 3, idle: 3, saturated: false });
    expect(report.findings.some((f) => f.severity === 'warn' && f.title.includes('backend-pool-*') && f.title.includes('saturated'))).toBe(true);
  });

  it.each(TOOLS)('counts workers waiting in Future.get() as busy, not idle: their pool is saturated too (%s)', (tool) => {
    const { report, text } = analyze('ThreadSaturatedPool', tool);
    // The JVM shows them parked without a lock, as an idle worker would be; only the frames tell them apart.
    expect(text.match(/FutureTask\.get/g)).toHaveLength(4);
    const gateway = report.pools.find((p) => p.name === 'gateway-*');
    expect(gateway).toMatchObject({ size: 4, idle: 0, saturated: true, topFrameCount: 4, states: { WAITING: 4 } });
    expect(gateway!.topFrame).toContain('ThreadSaturatedPool.callThroughGateway');
    expect(report.findings.some((f) => f.severity === 'warn' && f.title.includes('gateway-*') && f.title.includes('saturated'))).toBe(true);
  });

  it('finds the busy thread by cpu= deltas between two dumps and by top -H', async () => {
    const pid = jvms.get('ThreadBusy')!.pid;
    const first = await jstackL(pid);
    const top = await topThreads(pid);
    // CPU per thread is a rate: the second dump needs some wall time after the first to measure it.
    await delay(1000);
    const second = await jcmdThreadPrint(pid);
    const byDelta = analyzeThreadDumps([
      { name: 'busy-1.txt', text: first },
      { name: 'busy-2.txt', text: second },
    ]);
    expect(byDelta.hotThreads[0]).toMatchObject({ name: 'cpu-burner', source: 'cpu-delta' });
    expect(byDelta.hotThreads[0].cpuMs).toBeGreaterThan(0);
    expect(byDelta.stuck.map((s) => s.name)).not.toContain('sleeper-0');

    const byTop = analyzeThreadDumps([{ name: 'busy-1.txt', text: first }], { top: [{ name: 'top.txt', text: top }] });
    expect(byTop.hotThreads[0]).toMatchObject({ name: 'cpu-burner', source: 'top-H' });
    const burnerHeader = first.split('\n').find((l) => l.startsWith('"cpu-burner"'))!;
    expect(byTop.hotThreads[0].nid).toBe(Number.parseInt(/nid=0x([0-9a-f]+)/.exec(burnerHeader)![1], 16));
  });
});
