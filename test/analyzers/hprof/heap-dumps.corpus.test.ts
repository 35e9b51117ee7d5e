import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeHeapDump } from '../../../src/analyzers/hprof/index.js';
import { corpusPath } from '../../support/corpus.js';

// Third-party dumps (JDK 6 to 8, hprof agent, jmap, NetBeans), read in place from the corpus: `npm run test:corpus`.
const CORPUS = corpusPath('heap');

/** Rows of hprof-slurp's "Top 20 raw shallow heap classes" table: [instances, class name]. */
function slurpTop(text: string): Array<[number, string]> {
  const part = text.split('Top 20 raw shallow heap classes:')[1].split('\n\n')[1];
  return part
    .split('\n')
    .map((l) => /^\|[^|]+\|\s*(\d+)\s*\|[^|]+\|\s*(\S+)\s*\|$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => [Number(m[1]), m[2]]);
}

describe('the third-party corpus', () => {
  it.each([
    // [file, objects = class + instance + object-array + primitive-array dumps, per the corpus manifest's census]
    ['jdk8u-jhat-jmap.hprof', 352 + 1088 + 484 + 576, 4],
    ['jdk8u-jhat-hprof-agent.hprof', 361 + 1293 + 423 + 849, 4],
    ['netbeans-hprof-64.hprof', 474 + 4149 + 748 + 2891, 8],
    ['pyhprof-example-java-jmap.hprof', 504 + 14484 + 1500 + 7977, 8],
  ])('analyzes %s completely', async (file, objects, idSize) => {
    const r = await analyzeHeapDump(join(CORPUS, file));
    expect(r.summary.objects).toBe(objects);
    expect(r.summary.idSize).toBe(idSize);
    expect(r.histogram.reduce((s, h) => s + h.instances, 0)).toBe(objects);
    expect(r.summary.gcRoots).toBeGreaterThan(0);
    expect(r.biggestObjects.length).toBeGreaterThan(0);
    expect(r.jvm.systemProperties['java.vm.name']).toBeTruthy();
  });

  it.each(['jdk8u-jhat-hprof-agent.hprof', 'netbeans-hprof-64.hprof'])('agrees with hprof-slurp on the instance counts of %s', async (file) => {
    const r = await analyzeHeapDump(join(CORPUS, file));
    const top = slurpTop(readFileSync(join(CORPUS, `${file}-slurp-result.txt`), 'utf8'));
    expect(top.length).toBe(20);
    for (const [instances, name] of top) {
      if (name === 'java.lang.Class') continue; // hprof-slurp counts only INSTANCE_DUMPs of Class, we add class objects
      // hprof-slurp appends "[]" to object-array class names that the old agent already wrote as arrays
      // ("[Ljava.lang.Object;"), printing java.lang.Object[][] for Object[]: accept that spelling.
      const row = r.histogram.find((h) => h.className === name) ?? r.histogram.find((h) => `${h.className}[]` === name && h.className.endsWith('[]'));
      expect({ name, instances: row?.instances }).toEqual({ name, instances });
    }
  });

  it('reports an empty heap for a dump with no heap-dump record at all', async () => {
    const r = await analyzeHeapDump(join(CORPUS, 'jdk8u-jhat-minimal.hprof'));
    expect(r.summary.objects).toBe(0);
    expect(r.histogram).toEqual([]);
    expect(r.leakSuspects).toEqual([]);
    expect(r.summary.idSize).toBe(4);
  });
});

