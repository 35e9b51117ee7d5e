import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeThreadDumps, parseThreadDumps, parseTopThreads } from '../../../src/analyzers/threads/index.js';

// Hand-written in the exact layout of JDK 8 and JDK 21 output, which the local JDK 17 cannot produce.
const FIXTURES = path.resolve(import.meta.dirname, '../../fixtures/threads');
const read = (f: string): { name: string; text: string } => ({ name: f, text: readFileSync(path.join(FIXTURES, f), 'utf8') });

describe('JDK 8 jstack -l (sun.misc.Unsafe, no cpu=, hex nid)', () => {
  const input = read('jdk8-jstack-l-reentrantlock-deadlock.txt');

  it('finds the ReentrantLock deadlock from Locked ownable synchronizers, agreeing with the JVM section', () => {
    const report = analyzeThreadDumps([input]);
    expect(report.warnings).toEqual([]);
    expect(report.deadlocks).toHaveLength(1);
    expect(report.deadlocks[0]).toMatchObject({ source: 'both', threads: ['transfer-2', 'transfer-1'] });
    expect(report.deadlocks[0].locks.map((l) => [l.waiter, l.heldBy])).toEqual([
      ['transfer-2', 'transfer-1'],
      ['transfer-1', 'transfer-2'],
    ]);
  });

  it('counts request threads queued behind a deadlocked lock holder', () => {
    const report = analyzeThreadDumps([input]);
    const top = report.contention[0];
    expect(top).toMatchObject({ lock: '0x000000076b5a2f20', holder: 'transfer-2', waiters: 3 });
    expect(new Set(top.waiterNames)).toEqual(new Set(['transfer-1', 'http-nio-8080-exec-1', 'http-nio-8080-exec-2']));
    expect(report.pools.find((p) => p.name === 'http-nio-8080-exec-*')).toMatchObject({ size: 4, idle: 2 });
    expect(report.findings.some((f) => f.title.startsWith('Pool http-nio-8080-exec-*: 2 of 4'))).toBe(true);
  });

  it('does not count a monitor released by Object.wait as held', () => {
    const [dump] = parseThreadDumps(input).dumps;
    const ref = dump.threads.find((t) => t.name === 'Reference Handler')!;
    expect(ref.locked).toEqual([]);
    expect(ref.waitingOn?.id).toBe('0x000000076ab06bf8');
    expect(dump.threads.find((t) => t.name === 'main')!.nid).toBe(0x1f01);
    expect(dump.threads.every((t) => t.cpuMs === undefined)).toBe(true);
  });
});

describe('JDK 21 jstack -l (decimal nid, [os id] in the header)', () => {
  const input = read('jdk21-jstack-l-decimal-nid.txt');
  const top = read('jdk21-top-H.txt');

  it('reads decimal nids and matches them with top -H thread ids', () => {
    const report = analyzeThreadDumps([input], { top: [top] });
    expect(report.hotThreads[0]).toMatchObject({ name: 'order-importer', nid: 9871, cpuPercent: 97.3, cpuMs: 104_230, source: 'top-H' });
    expect(report.hotThreads[0].frames[4]).toContain('CsvValidator.validate');
    expect(report.findings.some((f) => f.severity === 'warn' && f.title.includes('"order-importer"') && f.title.includes('97%'))).toBe(true);
  });

  it('without top, names no hottest thread from cpu= totals and shows the holder the report writer waits for', () => {
    const report = analyzeThreadDumps([input]);
    // One dump's cpu= is a total since each thread started: CPU during the window is unknown.
    expect(report.hotThreads).toEqual([]);
    expect(report.cpu).toMatchObject({ measured: 'none' });
    expect(report.contention[0]).toMatchObject({ holder: 'order-importer', waiters: 1, holderState: 'RUNNABLE', holderIdle: false });
    expect(report.daemon).toBe(3);
  });

  it('sees the carrier of a virtual thread and ignores CountDownLatch parking as lock contention', () => {
    const [dump] = parseThreadDumps(input).dumps;
    expect(dump.threads.find((t) => t.name === 'ForkJoinPool-1-worker-1')!.carrying).toBe('#41');
    expect(dump.threads.find((t) => t.name === 'main')!.waitingFor).toBeUndefined();
    expect(dump.jvm).toBe('OpenJDK 64-Bit Server VM (21.0.3+9-LTS mixed mode, sharing)');
    expect(dump.timestamp).toBe('2024-05-02 09:14:07');
  });
});

describe('jcmd Thread.dump_to_file (JDK 21+)', () => {
  it('reads the plain-text format with virtual threads and groups their identical stacks', () => {
    const report = analyzeThreadDumps([read('jdk21-dump-to-file-virtual.txt')]);
    expect(report.threads).toBe(8);
    expect(report.virtual).toBe(5);
    expect(report.groups[0]).toMatchObject({ count: 4, state: 'UNKNOWN' });
    expect(report.groups[0].frames).toContain('com.example.orders.Enricher.lookupPrice(Enricher.java:33)');
    expect(report.dumps[0]).toMatchObject({ format: 'dump-to-file-text', timestamp: '2024-05-02T09:14:09.301772Z', jvm: '21.0.3+9-LTS' });
  });

  it('reads the JSON format and recognises virtual threads by their container', () => {
    const report = analyzeThreadDumps([read('jdk21-dump-to-file-virtual.json')]);
    expect(report.threads).toBe(7);
    expect(report.virtual).toBe(4);
    expect(report.groups[0].count).toBe(4);
    expect(report.dumps[0]).toMatchObject({ format: 'dump-to-file-json', jvm: '21.0.3+9-LTS' });
  });

  it('recovers the complete threads of a truncated JSON dump, with a warning', () => {
    const json = read('jdk21-dump-to-file-virtual.json').text;
    const cut = json.slice(0, json.indexOf('"tid": "53"'));
    const report = analyzeThreadDumps([{ name: 'cut.json', text: cut }]);
    expect(report.threads).toBe(5);
    expect(report.warnings.join('\n')).toMatch(/not valid JSON.*recovered 5/);
  });
});

describe('parseTopThreads', () => {
  it('locates columns by the header row, whatever their order', () => {
    const text = '  %CPU    PID COMMAND   TIME+\n  12.5  4242 worker-1  0:01.50\n';
    expect(parseTopThreads(text)).toEqual([{ tid: 4242, cpuPercent: 12.5, cpuMs: 1500, command: 'worker-1' }]);
  });
});
