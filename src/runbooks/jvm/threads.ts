import { analyzeThreadDumps, NoThreadDumpError, toThreadReportJson, type TextInput, type ThreadReport } from '../../analyzers/threads/index.js';
import { UserError } from '../../core/errors.js';
import { resolveJvmTarget, type JvmThreadReport } from '../../core/kinds/jvm.js';
import type { Runbook } from '../../core/runbook.js';
import { documentError, jvmParameters, markerFields, onlyInvocation, singleInstance, targetInfo } from './jvm-target.js';

export const THREAD_DUMP_DOCUMENT = 'Medic-JvmThreadDump';

/** One dump with the `top -H` taken right after it, as the document printed them. */
export interface CollectedDump {
  index: number;
  dump: string;
  top: string;
  failed?: string;
}

/**
 * Splits the document's stdout on its marker lines. Anything outside a DUMP/TOP section (agent noise) is ignored,
 * and a section cut short (a timeout mid-dump) still yields what arrived.
 */
export function splitThreadDumpOutput(stdout: string): CollectedDump[] {
  const dumps: CollectedDump[] = [];
  let cur: CollectedDump | undefined;
  let section: 'dump' | 'top' | undefined;
  let buf: string[] = [];
  const flush = (): void => {
    if (!cur || !section) return;
    const text = buf.join('\n').trim();
    if (section === 'dump') cur.dump = text;
    else cur.top = text;
    buf = [];
  };
  for (const line of stdout.split('\n')) {
    const m = /^===MEDIC-(DUMP|TOP|END|FAILED|TOOL) (\d+)(?: (.*))?$/.exec(line);
    if (!m) {
      if (section) buf.push(line);
      continue;
    }
    const [, tag, n, rest] = m;
    if (tag === 'DUMP') {
      flush();
      cur = { index: Number(n), dump: '', top: '' };
      dumps.push(cur);
      section = 'dump';
    } else if (tag === 'TOP') {
      flush();
      section = 'top';
    } else if (tag === 'END') {
      flush();
      section = undefined;
    } else if (tag === 'FAILED' && cur) {
      cur.failed = rest ?? 'failed';
    }
    // TOOL lines are bookkeeping of the document, not part of the dump.
  }
  flush();
  return dumps;
}

/**
 * `jvm threads <env> <target> [count] [interval]`: `count` dumps of the tier's JVM on one instance, `top -H` beside
 * each, analyzed together (deadlocks, contention, groups, threads stuck across dumps, hot threads by CPU). The raw
 * output and the full report travel as attachments.
 */
export const runJvmThreads: Runbook<'jvm.threads'> = async (request, ctx) => {
  const t = resolveJvmTarget(ctx.inventory, request.env, request.target);
  const started = ctx.clock.now();
  await ctx.progress(`Taking ${request.count} thread dump${request.count === 1 ? '' : 's'} of ${t.name} (${t.env}/${t.tier}), ${request.intervalSeconds} s apart`, 0);
  const run = await ctx.services.executor.run({
    document: THREAD_DUMP_DOCUMENT,
    parameters: { ...jvmParameters(t.jvm), Count: String(request.count), IntervalSeconds: String(request.intervalSeconds) },
    targets: singleInstance(t),
    // Each attach is bounded by the document's own step timeout; this covers the sleeps plus a slow attach each.
    timeoutSeconds: request.count * (request.intervalSeconds + 30) + 60,
    signal: ctx.signal,
    comment: `Medic ${ctx.jobId}: jvm threads ${t.env} ${t.name}`,
  });
  ctx.signal.throwIfAborted();
  const r = onlyInvocation(run.instances, t);
  const collected = splitThreadDumpOutput(r.stdout).filter((d) => d.dump && !d.failed);
  if (r.status !== 'Success' && collected.length === 0) {
    throw new UserError(`No thread dump from ${t.name}: ${documentError(r)}.`, r.status === 'Undeliverable' || r.status === 'InvalidInstance' ? 'Check that the instance is running and its SSM agent online (`health`).' : undefined);
  }
  const jvm = markerFields(r.stdout, '===MEDIC-JVM') ?? {};
  const tool = /===MEDIC-TOOL \d+ (.+)$/m.exec(r.stdout)?.[1]?.trim() ?? 'unknown';
  const inputs: TextInput[] = collected.map((d) => ({ name: `dump-${d.index}`, text: d.dump }));
  const top: TextInput[] = collected.map((d) => ({ name: `top-${d.index}`, text: d.top }));
  let analysis: ThreadReport;
  try {
    analysis = analyzeThreadDumps(inputs, { top });
  } catch (e) {
    if (e instanceof NoThreadDumpError) throw new UserError(`The output of ${t.name} holds no thread dump: ${e.message}`);
    throw e;
  }
  // The analyzer's report is the result's contract as is; this assignment fails to compile if they drift apart.
  const report: JvmThreadReport = analysis;
  const stamp = new Date(started).toISOString().replace(/[:.]/g, '-');
  const base = `threads-${t.env}-${t.name}-${stamp}`;
  const partial = r.status !== 'Success' ? ` (${collected.length} of ${request.count} dumps: ${documentError(r)})` : '';
  const worst = report.findings[0];
  return {
    kind: 'jvm.threads',
    target: targetInfo(t),
    count: collected.length,
    intervalSeconds: request.intervalSeconds,
    jvm: { pid: Number(jvm.pid ?? 0), user: jvm.user ?? '', tool },
    report,
    durationMs: ctx.clock.now() - started,
    commandId: run.commandId,
    summary: `${t.name}: ${report.threads} threads in ${collected.length} dump${collected.length === 1 ? '' : 's'}${worst ? `; ${worst.severity}: ${worst.title}` : ''}${partial}`,
    attachments: [
      { name: `${base}.txt`, contentType: 'text/plain', content: r.stdout },
      { name: `${base}-report.json`, contentType: 'application/json', content: JSON.stringify(toThreadReportJson(analysis), null, 2) },
    ],
  };
};
