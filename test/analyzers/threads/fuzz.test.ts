import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeThreadDumps, NoThreadDumpError, toThreadReportJson } from '../../../src/analyzers/threads/index.js';
import { threadAnalysisCard } from '../../../cards/thread-analysis-card.js';
import { expectValidCard } from '../../support/adaptive-card.js';
import { prng } from '../../support/prng.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const BASES = [
  '../shared/samples/deadlock.jstack-l.txt',
  '../shared/samples/deadlock.jcmd-Thread.print-l.txt',
  '../shared/corpus/threads/mcnullty-jstack-l-jdk8-deadlock.txt',
  '../shared/corpus/threads/jthreaddump-jstack-l-jdk25-virtual-threads.txt',
  '../shared/corpus/threads/wilkinsona-jcmd-thread-print-jdk17-springboot-hang.txt',
  'test/fixtures/threads/jdk8-jstack-l-reentrantlock-deadlock.txt',
].map((p) => ({ name: path.basename(p), text: readFileSync(path.resolve(ROOT, p), 'utf8') }));

// Fragments that look like dump syntax, so garbage also hits the parser's interesting branches.
const ATOMS = ['"', '\t', '\n', ' ', '- locked <0x', '- waiting to lock <', 'tid=', 'nid=0x', 'at ', '#', '(a ', ')', '>', 'java.lang.Thread.State: ', 'Found one Java-level deadlock:\n', '\u0000', 'é', '\r\n', 'Locked ownable synchronizers:', 'Carrying virtual thread #'];

function garbage(rand: () => number): string {
  let s = '';
  const n = 1 + Math.floor(rand() * 12);
  for (let i = 0; i < n; i++) s += rand() < 0.6 ? ATOMS[Math.floor(rand() * ATOMS.length)] : String.fromCharCode(32 + Math.floor(rand() * 95));
  return s;
}

const CASES = 300;

describe('damaged dumps', () => {
  it(`never throws on ${CASES} seeded truncations with garbage inserted, and warns every time`, () => {
    for (let seed = 1; seed <= CASES; seed++) {
      const rand = prng(seed);
      const base = BASES[seed % BASES.length];
      const text = base.text;
      const firstHeaderEnd = text.indexOf('\n', text.search(/^".*tid=/m)) + 1;
      const lastThread = text.indexOf('"VM Periodic Task Thread"');
      // Cut before the JVM's last thread, so the loss is detectable; keep the first header whole.
      const cutAt = firstHeaderEnd + Math.floor(rand() * (lastThread - firstHeaderEnd));
      let damaged = text.slice(0, cutAt);
      const inserts = Math.floor(rand() * 6);
      for (let i = 0; i < inserts; i++) {
        const at = firstHeaderEnd + Math.floor(rand() * (damaged.length - firstHeaderEnd));
        damaged = damaged.slice(0, at) + garbage(rand) + damaged.slice(at);
      }
      let report;
      try {
        report = analyzeThreadDumps([{ name: `seed-${seed}`, text: damaged }]);
      } catch (err) {
        throw new Error(`seed ${seed} (${base.name}, cut at ${cutAt}) threw: ${String(err)}`);
      }
      expect(report.threads, `seed ${seed}`).toBeGreaterThanOrEqual(1);
      expect(report.warnings.length, `seed ${seed}: ${base.name} cut at ${cutAt}`).toBeGreaterThan(0);
      expect(() => JSON.stringify(toThreadReportJson(report))).not.toThrow();
      if (seed % 25 === 0) expectValidCard(threadAnalysisCard(report, { env: 'fuzz' }));
    }
  });

  it('answers pure noise with NoThreadDumpError, never another exception', () => {
    for (let seed = 1; seed <= 100; seed++) {
      const rand = prng(seed * 7919);
      let noise = '';
      while (noise.length < 2000) noise += garbage(rand);
      // Noise may not contain a header by chance; when it does the analyzer answers with a partial report.
      try {
        const r = analyzeThreadDumps([{ name: `noise-${seed}`, text: noise }]);
        expect(r.warnings.length, `seed ${seed}`).toBeGreaterThan(0);
      } catch (err) {
        expect(err, `seed ${seed}`).toBeInstanceOf(NoThreadDumpError);
      }
    }
  });

  it('never throws on truncated JSON dumps', () => {
    const json = readFileSync(path.resolve(ROOT, 'test/fixtures/threads/jdk21-dump-to-file-virtual.json'), 'utf8');
    const rand = prng(42);
    for (let i = 0; i < 100; i++) {
      const cut = json.slice(0, Math.floor(rand() * json.length));
      try {
        const r = analyzeThreadDumps([{ name: `cut-${i}.json`, text: cut }]);
        expect(r.warnings.join('\n')).toMatch(/not valid JSON/);
      } catch (err) {
        expect(err).toBeInstanceOf(NoThreadDumpError);
      }
    }
  });
});
