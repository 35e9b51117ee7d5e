import type { Runbook } from '../../core/runbook.js';

/** The pipeline's heartbeat: runs on a worker and reports how long the request spent queued. */
export const runPing: Runbook<'system.ping'> = async (request, ctx) => {
  const startedAt = ctx.clock.now();
  const queuedMs = Math.max(0, startedAt - request.receivedAt);
  const finishedAt = ctx.clock.now();
  return {
    kind: 'system.ping',
    summary: `pong from ${ctx.workerId} after ${queuedMs} ms in queue`,
    receivedAt: request.receivedAt,
    startedAt,
    finishedAt,
    worker: ctx.workerId,
    queuedMs,
  };
};
