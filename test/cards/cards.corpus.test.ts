import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { heapAnalysisCard } from '../../cards/heap-analysis-card.js';
import { threadAnalysisCard } from '../../cards/thread-analysis-card.js';
import { analyzeHeapDump } from '../../src/analyzers/hprof/index.js';
import { analyzeThreadDumps } from '../../src/analyzers/threads/index.js';
import { cardText, expectValidCard } from '../support/adaptive-card.js';
import { corpusPath } from '../support/corpus.js';

// Cards of real third-party dumps, read in place from the corpus: `npm run test:corpus`.
describe('threadAnalysisCard on the corpus', () => {
  it.each(readdirSync(corpusPath('threads')).filter((f) => f !== 'MANIFEST.md'))('renders a valid card for corpus file %s', (file) => {
    const text = readFileSync(corpusPath('threads', file), 'latin1');
    expectValidCard(threadAnalysisCard(analyzeThreadDumps([{ name: file, text }]), {}));
  });
});

describe('heapAnalysisCard on the corpus', () => {
  it('says so when a real dump holds no heap and no JVM settings (jdk8u-jhat-minimal.hprof)', async () => {
    const m = heapAnalysisCard(await analyzeHeapDump(corpusPath('heap', 'jdk8u-jhat-minimal.hprof')));
    expectValidCard(m);
    const t = cardText(m.card);
    expect(t).toContain('No leak suspect');
    expect(t).toContain('Java: not found in the dump');
  });
});
