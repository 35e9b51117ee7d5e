import { errorMessage, UserError } from '../../core/errors.js';
import { resolveJvmTarget, type HeapAnalysisOutcome, type HeapDumpFacts, type JvmOomResult, type OomStep, type OomStepName, type ResolvedJvmTarget } from '../../core/kinds/jvm.js';
import type { Runbook } from '../../core/runbook.js';
import { analyzeOrQueue, collectHeapDump, describeLocation, mib } from './heap-dump.js';
import { documentError, onlyInvocation, singleInstance, targetInfo } from './jvm-target.js';

export const RESTART_DOCUMENT = 'Medic-JvmRestart';
/** How long the JVM gets to answer its health URL after the restart. */
const HEALTH_WAIT_SECONDS = 180;
const STEPS: OomStepName[] = ['dump', 'restart', 'health', 'analysis'];

/**
 * `jvm oom <env> <target>`: the OutOfMemory remediation chain. 1 dump (the file -XX:HeapDumpPath already holds, or
 * a live dump; skipped when the JVM is gone), 2 restart by the inventory's method, 3 wait for the health URL,
 * 4 analysis of the dump. Each step is reported as it ends; the first failure stops the chain and the result names
 * it (`failedStep`), so the thread says exactly where it stopped and nothing after it ran.
 */
export const runJvmOom: Runbook<'jvm.oom'> = async (request, ctx) => {
  const t = resolveJvmTarget(ctx.inventory, request.env, request.target);
  const restart = t.jvm.restart;
  // Refuse before touching anything: a dump without a restart is not a remediation.
  if (!restart) throw new UserError(`Tier \`${t.tier}\` of \`${t.env}\` has no restart method for its JVM.`, 'Add `restart: { method: systemctl, unit: <unit> }` (or docker, or command) to the tier\u2019s `jvm:` in the config file.');
  if (restart.method === 'docker' && !t.jvm.container) throw new UserError(`Tier \`${t.tier}\` restarts its JVM with docker but names no container.`);
  const steps: OomStep[] = [];
  let facts: HeapDumpFacts | undefined;
  let analysis: HeapAnalysisOutcome | undefined;

  const record = async (step: OomStep): Promise<void> => {
    steps.push(step);
    const n = STEPS.indexOf(step.name) + 1;
    await ctx.progress(`Step ${n}/${STEPS.length} ${step.name}: ${step.status}${step.detail ? ` — ${step.detail}` : ''}`, n / STEPS.length);
  };
  const stop = (name: OomStepName, detail: string): JvmOomResult => {
    const failed: OomStep = { name, status: 'failed', detail, durationMs: 0 };
    if (steps[steps.length - 1]?.name !== name) steps.push(failed);
    return result(t, steps, facts, analysis, name);
  };

  // 1. dump
  let started = ctx.clock.now();
  try {
    const collected = await collectHeapDump(t, ctx, 'existing-or-live');
    facts = collected?.facts;
    await record(
      facts
        ? { name: 'dump', status: 'ok', detail: `${facts.source === 'existing' ? 'the JVM\u2019s own OOM dump' : `live dump, JVM paused ${facts.pauseMs} ms`}: ${mib(facts.dumpBytes)} at ${describeLocation(facts.dump)}`, durationMs: ctx.clock.now() - started }
        : { name: 'dump', status: 'skipped', detail: 'the JVM is not running, and no dump it wrote could be found', durationMs: ctx.clock.now() - started },
    );
  } catch (e) {
    if (ctx.signal.aborted) throw e;
    return stop('dump', errorMessage(e));
  }

  // 2. restart and 3. health, one document: the health wait runs on the instance, next to the JVM.
  started = ctx.clock.now();
  let r;
  try {
    const run = await ctx.services.executor.run({
      document: RESTART_DOCUMENT,
      parameters: {
        Method: restart.method,
        Unit: restart.method === 'systemctl' ? restart.unit : '',
        JvmContainer: t.jvm.container ?? '',
        Command: restart.method === 'command' ? restart.command : '',
        JvmProcess: t.jvm.container ? '' : (t.jvm.process ?? ''),
        HealthUrl: t.jvm.healthUrl ?? '',
        // Only when opted in (a self-signed certificate): curl -k on the instance.
        ...(t.jvm.healthUrl && t.jvm.healthUrlInsecure ? { HealthUrlInsecure: 'true' } : {}),
        WaitSeconds: String(HEALTH_WAIT_SECONDS),
      },
      targets: singleInstance(t),
      timeoutSeconds: HEALTH_WAIT_SECONDS + 600,
      signal: ctx.signal,
      comment: `Medic ${ctx.jobId}: jvm oom ${t.env} ${t.name} restart`,
    });
    r = onlyInvocation(run.instances, t);
  } catch (e) {
    if (ctx.signal.aborted) throw e;
    return stop('restart', errorMessage(e));
  }
  ctx.signal.throwIfAborted();
  const marks = stepMarkers(r.stdout);
  const restarted = marks.get('restart');
  if (restarted?.status !== 'ok') {
    await record({ name: 'restart', status: 'failed', detail: restarted?.detail ?? documentError(r), durationMs: ctx.clock.now() - started });
    return result(t, steps, facts, analysis, 'restart');
  }
  await record({ name: 'restart', status: 'ok', detail: `${restart.method}${restart.method === 'systemctl' ? ` restart ${restart.unit}` : ''} (${msOf(restarted.detail)} ms)`, durationMs: msOf(restarted.detail) });
  const health = marks.get('health');
  if (!health || health.status === 'failed') {
    await record({ name: 'health', status: 'failed', detail: health?.detail ?? documentError(r), durationMs: ctx.clock.now() - started });
    return result(t, steps, facts, analysis, 'health');
  }
  await record({ name: 'health', status: health.status === 'skipped' ? 'skipped' : 'ok', detail: health.status === 'skipped' ? health.detail : `${t.jvm.healthUrl ? `${t.jvm.healthUrl} answered` : 'the JVM process is back'} after ${msOf(health.detail)} ms`, durationMs: msOf(health.detail) });

  // 4. analysis
  if (!facts) {
    await record({ name: 'analysis', status: 'skipped', detail: 'no dump to analyze', durationMs: 0 });
    return result(t, steps, facts, analysis);
  }
  started = ctx.clock.now();
  try {
    analysis = await analyzeOrQueue(t, facts, ctx, 3 / STEPS.length);
  } catch (e) {
    if (ctx.signal.aborted) throw e;
    return stop('analysis', errorMessage(e));
  }
  const a = analysis;
  await record(
    a.status === 'queued'
      ? { name: 'analysis', status: 'queued', detail: `job ${a.jobId}: the leak-suspects card follows`, durationMs: 0 }
      : a.status === 'unavailable'
        ? { name: 'analysis', status: 'skipped', detail: a.reason, durationMs: 0 }
        : { name: 'analysis', status: 'ok', detail: a.report.leakSuspects[0] ? `leak suspect ${a.report.leakSuspects[0].className} (${a.report.leakSuspects[0].percent}%)` : 'no leak suspect', durationMs: ctx.clock.now() - started },
  );
  return result(t, steps, facts, analysis);
};

function result(t: ResolvedJvmTarget, steps: OomStep[], facts: HeapDumpFacts | undefined, analysis: HeapAnalysisOutcome | undefined, failedStep?: OomStepName): JvmOomResult {
  const failed = failedStep ? steps.find((s) => s.name === failedStep) : undefined;
  const summary = failed
    ? `${t.name}: OOM remediation stopped at step ${STEPS.indexOf(failed.name) + 1} (${failed.name}): ${failed.detail}`
    : `${t.name}: ${steps.map((s) => `${s.name} ${s.status}`).join(', ')}`;
  return { kind: 'jvm.oom', target: targetInfo(t), steps, ...(failedStep ? { failedStep } : {}), ...(facts ? { facts } : {}), ...(analysis ? { analysis } : {}), summary };
}

/** `===MEDIC-STEP <name> <status> <detail>` lines of Medic-JvmRestart. */
function stepMarkers(stdout: string): Map<string, { status: string; detail: string }> {
  const out = new Map<string, { status: string; detail: string }>();
  for (const m of stdout.matchAll(/^===MEDIC-STEP (\S+) (\S+) ?(.*)$/gm)) out.set(m[1]!, { status: m[2]!, detail: m[3]!.trim() });
  return out;
}

function msOf(detail: string): number {
  return Number(/ms=(\d+)/.exec(detail)?.[1] ?? 0);
}
