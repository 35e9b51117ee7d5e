import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/stale-attach-sockets.ts'],
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
  },
});
