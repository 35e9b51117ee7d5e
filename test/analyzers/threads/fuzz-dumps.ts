import { expect } from 'vitest';
import { analyzeThreadDumps, toThreadReportJson } from '../../../src/analyzers/threads/index.js';
import { threadAnalysisCard } from '../../../cards/thread-analysis-card.js';
import { expectValidCard } from '../../support/adaptive-card.js';
import { prng } from '../../support/prng.js';

/** The damaged-dump fuzzing shared by fuzz.test.ts (dumps made here) and the corpus run (third-party dumps). */

// Fragments that look like dump syntax, so garbage also hits the parser's interesting branches.
const ATOMS = ['"', '\t', '\n', ' ', '- locked <0x', '- waiting to lock <', 'tid=', 'nid=0x', 'at ', '#', '(a ', ')', '>', 'java.lang.Thread.State: ', 'Found one Java-level deadlock:\n', '\u0000', 'é', '\r\n', 'Locked ownable synchronizers:', 'Carrying virtual thread #'];

export function garbage(rand: () => number): string {
  let s = '';
  const n = 1 + Math.floor(rand() * 12);
  for (let i = 0; i < n; i++) s += rand() < 0.6 ? ATOMS[Math.floor(rand() * ATOMS.length)] : String.fromCharCode(32 + Math.floor(rand() * 95));
  return s;
}

/**
 * Seeded truncations of `bases` (HotSpot text dumps with a "VM Periodic Task Thread") with garbage inserted: the
 * analyzer never throws, always warns, and its JSON and card stay valid.
 */
export function fuzzTruncations(bases: Array<{ name: string; text: string }>, cases: number): void {
  for (let seed = 1; seed <= cases; seed++) {
    const rand = prng(seed);
    const base = bases[seed % bases.length];
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
}
