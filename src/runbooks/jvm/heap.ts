import { resolveJvmTarget } from '../../core/kinds/jvm.js';
import type { Runbook } from '../../core/runbook.js';
import { analyzeOrQueue, collectHeapDump, describeLocation, mib } from './heap-dump.js';
import { targetInfo } from './jvm-target.js';

/**
 * `jvm heap <env> <target>`: disk check, a gzip'd live-objects dump (the JVM pauses), upload from instances, then
 * the analysis (queued, or inline without a queue). The card states size, place and pause at once; the leak
 * suspects follow from the analysis job.
 */
export const runJvmHeap: Runbook<'jvm.heap'> = async (request, ctx) => {
  const t = resolveJvmTarget(ctx.inventory, request.env, request.target);
  await ctx.progress(`Checking disk space, then dumping the heap of ${t.name} (${t.env}/${t.tier})`, 0);
  // Live mode never returns null: a missing JVM is an error there.
  const collected = (await collectHeapDump(t, ctx, 'live'))!;
  const { facts } = collected;
  await ctx.progress(`Heap dump of ${t.name}: ${mib(facts.dumpBytes)} at ${describeLocation(facts.dump)}, JVM paused ${facts.pauseMs} ms`, 0.1);
  const analysis = await analyzeOrQueue(t, facts, ctx, 0.1);
  const suspect = analysis.status === 'done' ? analysis.report.leakSuspects[0] : undefined;
  const tail =
    analysis.status === 'queued' ? `; analysis queued as ${analysis.jobId}` : analysis.status === 'unavailable' ? `; no analysis: ${analysis.reason}` : suspect ? `; leak suspect: ${suspect.className} retains ${suspect.percent}%` : '; no leak suspect';
  return {
    kind: 'jvm.heap',
    target: targetInfo(t),
    facts,
    analysis,
    commandId: collected.commandId,
    summary: `${t.name}: heap dump ${mib(facts.dumpBytes)}, JVM paused ${facts.pauseMs} ms${tail}`,
  };
};
