import type { Runbook } from '../../core/runbook.js';
import { analyzeDump, describeLocation } from './heap-dump.js';

/** `jvm.heap.analyze` (queued by `jvm heap` / `jvm oom` on the `analysis` queue): one dump, on a worker thread. */
export const runJvmHeapAnalyze: Runbook<'jvm.heap.analyze'> = async (request, ctx) => {
  const t = request.target;
  await ctx.progress(`Analyzing the heap dump of ${t.name}: ${describeLocation(request.dump)}`, 0);
  const { report, attachment } = await analyzeDump(request.dump, request.dumpBytes, ctx);
  const s = report.leakSuspects[0];
  return {
    kind: 'jvm.heap.analyze',
    target: t,
    dump: request.dump,
    dumpBytes: request.dumpBytes,
    parentJobId: request.parentJobId,
    report,
    summary: `${t.name}: ${s ? `leak suspect ${s.className} retains ${s.percent}% of the heap` : 'no leak suspect'} (analyzed in ${report.seconds.total ?? '?'} s)`,
    attachments: [attachment],
  };
};
