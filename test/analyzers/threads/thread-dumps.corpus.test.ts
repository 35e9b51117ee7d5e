import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeThreadDumps, parseThreadDumps } from '../../../src/analyzers/threads/index.js';
import { corpusPath } from '../../support/corpus.js';
import { fuzzTruncations } from './fuzz-dumps.js';

// Read in place from the third-party corpus (never copied into the repository): `npm run test:corpus`.
const CORPUS = corpusPath('threads');

interface ManifestRow {
  file: string;
  headers: number;
  /** Thread names of each deadlock the dump's own section reports. */
  deadlocks: string[][];
}

/** The MANIFEST's table is the expected data: header counts and the deadlocks each dump reports. */
function readManifest(): ManifestRow[] {
  const rows: ManifestRow[] = [];
  for (const line of readFileSync(path.join(CORPUS, 'MANIFEST.md'), 'utf8').split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length < 8 || !cells[1].startsWith('`')) continue;
    const file = cells[1].replaceAll('`', '');
    const deadlockCell = cells[6];
    let deadlocks: string[][] = [];
    if (deadlockCell.startsWith('**yes**')) {
      if (/same \d+ deadlocks as the previous file/.test(deadlockCell)) deadlocks = rows[rows.length - 1].deadlocks;
      else {
        const afterColon = deadlockCell.slice(deadlockCell.indexOf(':') + 1);
        const parts = /\(1\)/.test(afterColon) ? afterColon.split(/\(\d\)/).slice(1) : [afterColon];
        deadlocks = parts.map((p) => [...p.matchAll(/`([^`\s]+)`/g)].map((m) => m[1]));
      }
      const count = /(\d+) deadlocks?/.exec(deadlockCell);
      if (count && !/same/.test(deadlockCell)) expect(deadlocks).toHaveLength(Number(count[1]));
    }
    rows.push({ file, headers: Number(cells[5]), deadlocks });
  }
  return rows;
}

const manifest = readManifest();
const read = (file: string): string => readFileSync(path.join(CORPUS, file), 'latin1');
const sortNames = (ds: string[][]): string[] => ds.map((d) => [...d].sort().join(' + ')).sort();

describe('the shared thread-dump corpus (JDK 1.5 to 25)', () => {
  it('lists every file of the directory in the MANIFEST', () => {
    expect(manifest.length).toBeGreaterThanOrEqual(18);
  });

  it.each(manifest)('parses $file with the MANIFEST header count', ({ file, headers }) => {
    const text = read(file);
    const parsed = parseThreadDumps({ name: file, text });
    const threads = parsed.dumps.reduce((n, d) => n + d.threads.length, 0);
    if (headers > 0) {
      expect(threads).toBe(headers);
    } else if (file.endsWith('.json')) {
      const doc = JSON.parse(text) as { threadDump: { threadContainers: Array<{ threads: unknown[] }> } };
      expect(threads).toBe(doc.threadDump.threadContainers.reduce((n, c) => n + c.threads.length, 0));
    } else {
      expect(threads).toBe(text.split('\n').filter((l) => /^#\d+ "/.test(l)).length);
    }
    expect(threads).toBeGreaterThan(0);
  });

  it.each(manifest)('finds in $file the deadlocks the MANIFEST lists, from the lock graph', ({ file, deadlocks }) => {
    const report = analyzeThreadDumps([{ name: file, text: read(file) }]);
    expect(sortNames(report.deadlocks.map((d) => d.threads))).toEqual(sortNames(deadlocks));
    // Our own cycle search must agree with the JVM's section, not merely repeat it.
    for (const d of report.deadlocks) expect(d.source).toBe('both');
    expect(report.findings.filter((f) => f.severity === 'critical')).toHaveLength(deadlocks.length);
  });

  it.each(manifest.filter((r) => r.headers > 0))('reads $file without warnings', ({ file }) => {
    expect(analyzeThreadDumps([{ name: file, text: read(file) }]).warnings).toEqual([]);
  });

  it('keeps the two same-named DeadlockThread-A/B pairs apart (different cycles, different locks)', () => {
    const file = 'jthreaddump-jstack-l-jdk25-three-deadlocks.txt';
    const [dump] = parseThreadDumps({ name: file, text: read(file) }).dumps;
    expect(dump.threads.filter((t) => t.name === 'DeadlockThread-A').map((t) => t.number)).toEqual([30, 201]);
    const report = analyzeThreadDumps([{ name: file, text: read(file) }]);
    const locks = report.deadlocks.flatMap((d) => d.locks.map((l) => l.lock));
    expect(new Set(locks).size).toBe(locks.length);
    expect(report.deadlocks.map((d) => d.threads.length).sort()).toEqual([2, 2, 3]);
  });

  it('splits the HP-UX file into its two SIGQUIT dumps and compares them', () => {
    const file = 'tda-hpux-jdk15-two-dumps-large.log';
    const report = analyzeThreadDumps([{ name: file, text: read(file) }]);
    expect(report.dumps.map((d) => d.threads)).toEqual([574, 574]);
    expect(report.threads).toBe(574);
    // JDK 1.5 prints no Thread.State lines: every state comes from the header text, none is unknown.
    expect(report.states.UNKNOWN).toBeUndefined();
    expect(report.stuck.length).toBeGreaterThan(0);
    expect(report.pools.find((p) => p.name === 'ACJH_SOPSI_BAN_01-w*')?.size).toBeGreaterThan(1);
  });

  it('finds the holder of the 200-thread monitor queue in the 1,521-thread dump, and the unowned ReentrantLock queue', () => {
    const file = 'generated-jstack-jdk17-1521-threads.txt';
    const report = analyzeThreadDumps([{ name: file, text: read(file) }]);
    const [monitor, lock] = report.contention;
    expect(monitor).toMatchObject({ holder: 'lock-holder', waiters: 200, kind: 'monitor', holderIdle: true });
    expect(monitor.holderFrames[0]).toContain('Thread.sleep');
    // Plain jstack (no -l) cannot say who owns a ReentrantLock: reported as unknown, with advice.
    expect(lock).toMatchObject({ holder: null, waiters: 100, kind: 'synchronizer' });
    expect(report.findings.some((f) => f.title.includes('without -l'))).toBe(true);
    expect(report.pools.find((p) => p.name === 'worker-*')).toMatchObject({ size: 1200, idle: 1200, saturated: false });
    expect(report.states.BLOCKED).toBe(200);
  });

  it('normalises Tomcat pool names and sees idle connectors as idle', () => {
    const nio = analyzeThreadDumps([{ name: 'nio', text: read('zxf-jstack-jdk22-tomcat-http-nio.log') }]);
    expect(nio.pools.find((p) => p.name === 'http-nio-8080-exec-*')).toMatchObject({ size: 10, idle: 10, saturated: false });
    const bio = analyzeThreadDumps([{ name: 'bio', text: read('binaryfoo-jstack-jdk8-tomcat-http-bio.txt') }]);
    expect(bio.pools.find((p) => p.name === 'http-bio-8080-exec-*')).toMatchObject({ size: 10, saturated: false });
  });

  it('reads decimal nids (JDK 21+) and hex nids (JDK 8-17) to the same numbers top -H shows', () => {
    const [jdk21] = parseThreadDumps({ name: 'x', text: read('tda-jstack-l-jdk21-macos.log') }).dumps;
    const line21 = read('tda-jstack-l-jdk21-macos.log').split('\n').find((l) => l.startsWith('"Finalizer"'))!;
    expect(jdk21.threads.find((t) => t.name === 'Finalizer')!.nid).toBe(Number(/nid=(\d+)/.exec(line21)![1]));
    const [jdk8] = parseThreadDumps({ name: 'y', text: read('tda-java8dump-jdk8.log') }).dumps;
    expect(jdk8.threads.find((t) => t.name === 'Thread-2')!.nid).toBe(0x2a43);
  });

  it('puts a carrier thread\'s mounted virtual thread frames first (JDK 25)', () => {
    const [dump] = parseThreadDumps({ name: 'v', text: read('jthreaddump-jstack-l-jdk25-virtual-threads.txt') }).dumps;
    const carriers = dump.threads.filter((t) => t.carrying);
    expect(carriers).toHaveLength(10);
    for (const c of carriers) {
      expect(c.state).toBe('RUNNABLE');
      expect(c.frames.findIndex((f) => f.startsWith('java.lang.VirtualThread.run'))).toBeLessThan(c.frames.findIndex((f) => f.startsWith('jdk.internal.vm.Continuation.run')));
    }
  });

  it('marks virtual threads of the Thread.dump_to_file text format and warns that it has no states', () => {
    const file = 'bcluap-jcmd-dump_to_file-jdk24-virtual-threads.txt';
    const report = analyzeThreadDumps([{ name: file, text: read(file) }]);
    expect(report.virtual).toBe(read(file).split('\n').filter((l) => /^#\d+ ".*" virtual/.test(l)).length);
    expect(report.states).toEqual({ UNKNOWN: report.threads });
    expect(report.warnings.join('\n')).toMatch(/no thread states/);
  });

  it('gives no deadlock for the selenium hang the JVM does not report either', () => {
    const report = analyzeThreadDumps([{ name: 's', text: read('selenium-jstack-jdk17.txt') }]);
    expect(report.deadlocks).toEqual([]);
    expect(report.findings.some((f) => f.severity === 'critical')).toBe(false);
  });
});

describe('damaged corpus dumps', () => {
  it('never throws on 300 seeded truncations of JDK 8, 17 and 25 dumps with garbage inserted, and warns every time', () => {
    const bases = ['mcnullty-jstack-l-jdk8-deadlock.txt', 'jthreaddump-jstack-l-jdk25-virtual-threads.txt', 'wilkinsona-jcmd-thread-print-jdk17-springboot-hang.txt'].map((f) => ({ name: f, text: read(f) }));
    fuzzTruncations(bases, 300);
  });
});
