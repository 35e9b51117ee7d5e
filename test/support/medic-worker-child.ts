/**
 * Medic's production entry point (main(): config from the environment, signal handling, drain) in a child process,
 * with one seam: an executor whose commands run as the test needs. Used by test/integration/shutdown.test.ts.
 * A tier's JVM pattern picks the behaviour: `quick-jvm` finishes shortly after SIGTERM arrives (so it is running
 * when the drain starts), `slow-jvm` runs until its signal is aborted, as an SSM command is cancelled.
 */
import { UserError } from '../../src/core/errors.js';
import type { Executor } from '../../src/core/executor.js';
import { main } from '../../src/main.js';

const sigterm = new Promise<void>((resolve) => process.once('SIGTERM', () => resolve()));

const executor: Executor = {
  async run(req) {
    const which = req.parameters.JvmProcess;
    process.stdout.write(`${JSON.stringify({ msg: 'test executor started', which })}\n`);
    if (which === 'slow-jvm') {
      await new Promise<void>((resolve) => {
        if (req.signal?.aborted) resolve();
        req.signal?.addEventListener('abort', () => resolve(), { once: true });
      });
      process.stdout.write(`${JSON.stringify({ msg: 'test executor aborted', which, reason: String(req.signal?.reason) })}\n`);
      // As the pg executor does: a cancelled check is a UserError, which the use-case would normally post as a card.
      throw new UserError('The check was cancelled.');
    }
    await sigterm;
    await new Promise((r) => setTimeout(r, 300));
    return { commandId: 'test-2', instances: [{ instanceId: 'local', status: 'Success', exitCode: 0, stdout: '{}', stderr: '', durationMs: 1 }] };
  },
};

await main({ executor });
