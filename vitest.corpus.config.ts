import { defineConfig } from 'vitest/config';
import { shared } from './vitest.config.js';

/**
 * `npm run test:corpus`: the tests that read the third-party corpus (../shared/corpus or MEDIC_CORPUS_DIR). Its
 * global setup fails the run, saying where the corpus goes, when it is missing.
 */
export default defineConfig({
  test: {
    ...shared,
    include: ['test/**/*.corpus.test.ts'],
    globalSetup: ['test/support/corpus.ts', 'test/support/stale-attach-sockets.ts', 'test/support/samples-dir.ts'],
  },
});
