import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * The third-party corpus (real thread dumps, heap dumps, alert payloads from other projects, see its MANIFEST.md):
 * read in place, never copied into the repository. `npm run test:corpus` runs the tests that read it
 * (`*.corpus.test.ts`, vitest.corpus.config.ts); `npm test` does not need it.
 */
export const CORPUS_DIR = resolve(process.env.MEDIC_CORPUS_DIR ?? resolve(import.meta.dirname, '../../../shared/corpus'));

export const corpusPath = (...parts: string[]): string => resolve(CORPUS_DIR, ...parts);

/** vitest global setup of the corpus run: no corpus is a failure that says where to put it, never a skip. */
export default function setup(): void {
  const missing = ['threads', 'heap', 'alerts'].filter((d) => !existsSync(corpusPath(d)));
  if (missing.length > 0) {
    throw new Error(
      `npm run test:corpus needs the third-party corpus at ${CORPUS_DIR} (missing: ${missing.map((d) => `${d}/`).join(', ')}). ` +
        'Put it beside the repository as ../shared/corpus, or set MEDIC_CORPUS_DIR to its path. `npm test` runs without it.',
    );
  }
}
