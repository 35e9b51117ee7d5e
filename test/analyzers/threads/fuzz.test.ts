import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyzeThreadDumps, NoThreadDumpError } from '../../../src/analyzers/threads/index.js';
import { prng } from '../../support/prng.js';
import { threadSamples } from '../../support/samples.js';
import { fuzzTruncations, garbage } from './fuzz-dumps.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const fixture = (f: string): { name: string; text: string } => ({ name: f, text: readFileSync(path.resolve(ROOT, 'test/fixtures/threads', f), 'utf8') });

// JDK 17 jstack and jcmd dumps made from a real JVM this run, and the hand-written JDK 8 and JDK 21 layouts
// (a virtual-thread carrier, decimal nids). The corpus run fuzzes the third-party dumps the same way.
let BASES: Array<{ name: string; text: string }>;
beforeAll(async () => {
  const { text } = await threadSamples();
  BASES = [
    { name: 'deadlock.jstack-l.txt', text: text.jstack },
    { name: 'deadlock.jcmd-Thread.print-l.txt', text: text.jcmd },
    fixture('jdk8-jstack-l-reentrantlock-deadlock.txt'),
    fixture('jdk21-jstack-l-decimal-nid.txt'),
  ];
});

const CASES = 300;

describe('damaged dumps', () => {
  it(`never throws on ${CASES} seeded truncations with garbage inserted, and warns every time`, () => {
    fuzzTruncations(BASES, CASES);
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
