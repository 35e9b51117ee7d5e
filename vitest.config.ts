import { defineConfig } from 'vitest/config';

/** `npm test`: everything the repository can check on its own. The corpus tests have vitest.corpus.config.ts. */
export const shared = {
  pool: 'forks',
  testTimeout: 60_000,
  hookTimeout: 120_000,
  // The Webex SDK logs ~70 lines per start at its default level under NODE_ENV=test.
  env: {
    WEBEX_LOG_LEVEL: 'error',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
    // The SDK's Node 20 end-of-support notice, once per test file, buries real output.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  },
} as const;

export default defineConfig({
  test: {
    ...shared,
    include: ['test/**/*.test.ts'],
    exclude: ['test/**/*.corpus.test.ts', '**/node_modules/**'],
    globalSetup: ['test/support/stale-attach-sockets.ts', 'test/support/samples-dir.ts', 'test/support/kafka-jars.ts'],
  },
});
