/**
 * `npm run bench:threads`: how fast the thread-dump analyzer reads a 10,000-thread dump from a real JVM, next to
 * `grep -c '^"'` on the same file as the floor (one pass, no parsing), measured in the same run on the same machine.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { analyzeThreadDumps } from '../src/analyzers/threads/index.js';
import { compileThreadPrograms, jstackL, startJvm } from '../test/analyzers/threads/jvm-helpers.js';

const THREADS = Number(process.env.BENCH_THREADS ?? 10_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 7);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main(): Promise<void> {
  const programs = await compileThreadPrograms();
  const file = path.join(programs.dir, `jstack-l-${THREADS}-threads.txt`);
  // Small stacks and heap: 10,000 threads must not crowd out the other engineers on this machine.
  const jvm = await startJvm(programs.dir, 'ThreadMany', [String(THREADS)], ['-Xss256k', '-Xmx64m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-XX:-UsePerfData']);
  try {
    const t0 = performance.now();
    writeFileSync(file, await jstackL(jvm.pid));
    console.log(`jstack -l of ${THREADS} parked threads: ${(performance.now() - t0).toFixed(0)} ms`);
  } finally {
    jvm.kill();
  }

  try {
    const bytes = statSync(file).size;
    const mb = bytes / 1e6;
    const text = readFileSync(file, 'utf8');

    const analysis: number[] = [];
    let threads = 0;
    let findings: string[] = [];
    analyzeThreadDumps([{ name: file, text }]); // warm-up: JIT and regex compilation
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      const r = analyzeThreadDumps([{ name: file, text }]);
      analysis.push(performance.now() - t);
      threads = r.threads;
      findings = r.findings.map((f) => `${f.severity}: ${f.title}`);
    }

    const reads: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      readFileSync(file, 'utf8');
      reads.push(performance.now() - t);
    }

    const greps: number[] = [];
    let grepCount = '';
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      const g = spawnSync('grep', ['-c', '^"', file], { encoding: 'utf8' });
      greps.push(performance.now() - t);
      grepCount = g.stdout.trim();
    }

    const a = median(analysis);
    const g = median(greps);
    console.log(`file: ${mb.toFixed(1)} MB, ${grepCount} lines starting with '"' (grep), ${threads} threads (analyzer)`);
    console.log(`analyzeThreadDumps: median ${a.toFixed(1)} ms (min ${Math.min(...analysis).toFixed(1)}) over ${RUNS} runs = ${(mb / (a / 1000)).toFixed(0)} MB/s`);
    console.log(`readFileSync utf8:  median ${median(reads).toFixed(1)} ms`);
    console.log(`grep -c '^"' (floor, incl. process start): median ${g.toFixed(1)} ms = ${(mb / (g / 1000)).toFixed(0)} MB/s`);
    console.log(`analysis / grep: ${(a / g).toFixed(1)}x`);
    console.log(`findings: ${findings.join(' | ')}`);
  } finally {
    programs.cleanup();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
