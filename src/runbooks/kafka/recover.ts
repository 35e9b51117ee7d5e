import { analyzePartitions } from '../../analyzers/kafka/analyze-partitions.js';
import { errorMessage } from '../../core/errors.js';
import type { InstanceResult } from '../../core/executor.js';
import { describeKafkaRestart, kafkaBrokerTargets, resolveKafka, resolveKafkaBroker, type KafkaRecoverResult, type KafkaRecoverStep, type KafkaRecoverStepName, type KafkaStatusResult, type ResolvedKafkaBroker } from '../../core/kinds/kafka.js';
import type { Runbook, RunbookContext } from '../../core/runbook.js';
import { RESTART_DOCUMENT } from '../jvm/oom.js';
import { kafkaPort, readKafkaStatus } from './status.js';

export const CHECK_DOCUMENT = 'Medic-KafkaBrokerCheck';
export const ELECTION_DOCUMENT = 'Medic-KafkaLeaderElection';
const STEPS: KafkaRecoverStepName[] = ['check', 'restart', 'isr', 'election', 'status'];
/** How long the broker process gets to appear after the restart command. */
const PROCESS_WAIT_SECONDS = 120;
/** Disk usage of the data directory above which a restart cannot help (the broker would die again). */
const DISK_FULL_PERCENT = 97;
const POLL_MS = 2000;

/**
 * `kafka recover <env> <broker>` (research §4.3): 1 check the broker's host (process, data disk, recent OOM kills),
 * 2 restart that one broker by the inventory's method, 3 wait, bounded, until it is back in every ISR, 4 preferred
 * leader election, 5 final status. Each step is reported as it ends; the first failure stops the flow and the
 * result names it. Refused before touching anything when more than one broker is down (restarting brokers one by
 * one is a human decision) or when the broker is up and in every ISR. The cluster lock is the job's target
 * `kafka/<env>` (commands/kafka.ts): one recovery per cluster at a time.
 */
export const runKafkaRecover: Runbook<'kafka.recover'> = async (request, ctx) => {
  const spec = resolveKafka(ctx.inventory, request.env);
  const broker = resolveKafkaBroker(spec, request.env, request.broker);
  const steps: KafkaRecoverStep[] = [];
  const base = { kind: 'kafka.recover' as const, env: request.env, broker: broker.id, target: broker.target };

  const record = async (step: KafkaRecoverStep): Promise<void> => {
    steps.push(step);
    const n = STEPS.indexOf(step.name) + 1;
    await ctx.progress(`Step ${n}/${STEPS.length} ${step.name}: ${step.status} — ${step.detail}`, n / STEPS.length);
  };
  const stopped = async (name: KafkaRecoverStepName, detail: string, started: number): Promise<KafkaRecoverResult> => {
    await record({ name, status: 'failed', detail, durationMs: ctx.clock.now() - started });
    return { ...base, steps, failedStep: name, summary: `Kafka broker ${broker.id} of ${request.env}: recovery stopped at step ${STEPS.indexOf(name) + 1} (${name}): ${detail}` };
  };

  // 0. Is this the broker to restart, and the only one down?
  const before = await kafkaPort(ctx).snapshot(spec.bootstrap, { signal: ctx.signal });
  const report = analyzePartitions(before, { configured: kafkaBrokerTargets(spec) });
  const refusal = refuse(report, broker.id);
  if (refusal) return { ...base, steps, refused: refusal, summary: `Kafka broker ${broker.id} of ${request.env}: recovery refused: ${refusal}` };

  // 1. check the host
  let started = ctx.clock.now();
  let check: InstanceResult;
  try {
    check = await runOn(ctx, broker, CHECK_DOCUMENT, { BrokerProcess: broker.process, DataDir: broker.dataDir ?? '' }, 60, 'check');
  } catch (e) {
    if (ctx.signal.aborted) throw e;
    return await stopped('check', errorMessage(e), started);
  }
  if (check.status !== 'Success') return await stopped('check', `the host ${broker.target} did not run the check: ${documentError(check)}`, started);
  const found = readCheck(check.stdout);
  if (found.diskUsedPercent !== undefined && found.diskUsedPercent >= DISK_FULL_PERCENT) {
    return await stopped('check', `the data directory is ${found.diskUsedPercent}% full on ${found.mount ?? '?'}: a restarted broker would fail again; free space first`, started);
  }
  await record({ name: 'check', status: 'ok', detail: found.lines.join(', '), durationMs: ctx.clock.now() - started });

  // 2. restart (Medic-JvmRestart: the inventory's method, then wait for the broker process to be back)
  started = ctx.clock.now();
  let restart: InstanceResult;
  try {
    restart = await runOn(
      ctx,
      broker,
      RESTART_DOCUMENT,
      {
        Method: broker.restart.method,
        Unit: broker.restart.method === 'systemctl' ? broker.restart.unit : '',
        JvmContainer: broker.restart.method === 'docker' ? broker.restart.container : '',
        Command: broker.restart.method === 'command' ? broker.restart.command : '',
        JvmProcess: broker.restart.method === 'docker' ? '' : broker.process,
        HealthUrl: '',
        WaitSeconds: String(PROCESS_WAIT_SECONDS),
      },
      PROCESS_WAIT_SECONDS + 300,
      'restart',
    );
  } catch (e) {
    if (ctx.signal.aborted) throw e;
    return await stopped('restart', errorMessage(e), started);
  }
  const marks = stepMarkers(restart.stdout);
  const restarted = marks.get('restart');
  if (restarted?.status !== 'ok') return await stopped('restart', restarted?.detail ?? documentError(restart), started);
  const back = marks.get('health');
  if (back?.status === 'failed') return await stopped('restart', `restarted, but ${back.detail}`, started);
  await record({ name: 'restart', status: 'ok', detail: `${describeKafkaRestart(broker.restart)} on ${broker.target}${back?.status === 'ok' ? ', the broker process is back' : ''}`, durationMs: ctx.clock.now() - started });

  // 3. wait until the broker is listed again and in every ISR of its partitions
  started = ctx.clock.now();
  const deadline = started + spec.isrWaitSeconds * 1000;
  let last = '';
  for (;;) {
    ctx.signal.throwIfAborted();
    let line: string;
    try {
      const snap = await kafkaPort(ctx).snapshot(spec.bootstrap, { signal: ctx.signal });
      const r = analyzePartitions(snap, { configured: kafkaBrokerTargets(spec) });
      const me = r.implicated.find((b) => b.id === broker.id);
      const listed = r.brokers.alive.includes(broker.id);
      if (listed && !me) {
        await record({ name: 'isr', status: 'ok', detail: `broker ${broker.id} is back in every ISR after ${Math.round((ctx.clock.now() - started) / 1000)} s (${r.totals.underReplicated} under-replicated partition(s) left in the cluster)`, durationMs: ctx.clock.now() - started });
        break;
      }
      line = listed ? `broker ${broker.id} is up, missing from ${me?.missingFromIsr ?? 0} ISR(s)` : `broker ${broker.id} is not registered yet`;
    } catch (e) {
      if (ctx.signal.aborted) throw e;
      line = `the cluster did not answer: ${errorMessage(e)}`;
    }
    if (line !== last) {
      last = line;
      await ctx.progress(`Step 3/${STEPS.length} isr: waiting — ${line}`, 2.5 / STEPS.length);
    }
    if (ctx.clock.now() >= deadline) return await stopped('isr', `not back in every ISR after ${spec.isrWaitSeconds} s (${line})`, started);
    await sleep(POLL_MS, ctx.signal);
  }

  // 4. preferred leader election, on the recovered broker's host
  started = ctx.clock.now();
  let election: InstanceResult;
  try {
    election = await runOn(ctx, broker, ELECTION_DOCUMENT, { KafkaBin: spec.bin, BootstrapServers: spec.bootstrap.join(',') }, 300, 'election');
  } catch (e) {
    if (ctx.signal.aborted) throw e;
    return await stopped('election', errorMessage(e), started);
  }
  if (election.status !== 'Success') return await stopped('election', `kafka-leader-election failed: ${documentError(election)}`, started);
  await record({ name: 'election', status: 'ok', detail: electionSummary(election.stdout), durationMs: ctx.clock.now() - started });

  // 5. final status
  started = ctx.clock.now();
  let final: KafkaStatusResult;
  try {
    final = await readKafkaStatus(request.env, spec, ctx);
  } catch (e) {
    if (ctx.signal.aborted) throw e;
    return await stopped('status', errorMessage(e), started);
  }
  await record({ name: 'status', status: final.report.grade === 'ok' ? 'ok' : 'failed', detail: final.summary, durationMs: ctx.clock.now() - started });
  const ok = final.report.grade === 'ok';
  return {
    ...base,
    steps,
    ...(ok ? {} : { failedStep: 'status' as const }),
    final,
    summary: ok ? `Kafka broker ${broker.id} of ${request.env} recovered: every ISR is full and leaders are preferred again` : `Kafka broker ${broker.id} of ${request.env}: restarted, but the cluster is not healthy yet: ${final.summary}`,
  };
};

/** Why a recovery must not start, or undefined. */
export function refuse(report: ReturnType<typeof analyzePartitions>, id: number): string | undefined {
  const down = [...new Set([...report.brokers.missing, ...report.implicated.filter((b) => !b.alive).map((b) => b.id)])].sort((a, b) => a - b);
  if (down.length > 1) {
    return `brokers ${down.join(', ')} are down. Restarting brokers one by one while more than one is down is a human decision (which first, and whether the controller quorum holds); recover them by hand or one at a time once you have decided.`;
  }
  const me = report.implicated.find((b) => b.id === id);
  if (down.length === 1 && down[0] !== id) return `broker ${down[0]} is the one down, not broker ${id}. Type \`kafka recover <env> ${down[0]}\` if that is the one to restart.`;
  if (!me && report.brokers.alive.includes(id)) return `broker ${id} is up and in every ISR: there is nothing to recover.`;
  return undefined;
}

async function runOn(ctx: RunbookContext, broker: ResolvedKafkaBroker, document: string, parameters: Record<string, string>, timeoutSeconds: number, step: string): Promise<InstanceResult> {
  const run = await ctx.services.executor.run({
    document,
    parameters,
    targets: { instanceIds: [broker.target] },
    timeoutSeconds,
    signal: ctx.signal,
    comment: `Medic ${ctx.jobId}: kafka recover broker ${broker.id} ${step}`,
  });
  ctx.signal.throwIfAborted();
  return run.instances.find((i) => i.instanceId === broker.target) ?? run.instances[0] ?? { instanceId: broker.target, status: 'Failed', exitCode: null, stdout: '', stderr: '', durationMs: 0, detail: 'no answer from the executor' };
}

function documentError(r: InstanceResult): string {
  const line = r.stdout.split('\n').find((l) => l.startsWith('===MEDIC-ERROR '));
  if (line) return line.slice('===MEDIC-ERROR '.length).trim();
  const err = r.stderr.split('\n').find((l) => l.trim().length > 0);
  return r.detail ?? `${r.status}${r.exitCode !== null ? ` (exit ${r.exitCode})` : ''}${err ? `: ${err.trim().slice(0, 200)}` : ''}`;
}

/** The `===MEDIC-KAFKA` lines of Medic-KafkaBrokerCheck, as a person reads them. */
export function readCheck(stdout: string): { lines: string[]; diskUsedPercent?: number; mount?: string; processRunning?: boolean } {
  const out: { lines: string[]; diskUsedPercent?: number; mount?: string; processRunning?: boolean } = { lines: [] };
  for (const m of stdout.matchAll(/^===MEDIC-KAFKA (\S+) ?(.*)$/gm)) {
    const [key, rest] = [m[1]!, m[2]!.trim()];
    const f = Object.fromEntries([...rest.matchAll(/([A-Za-z]+)=(\S*)/g)].map((x) => [x[1]!, x[2]!]));
    if (key === 'process') {
      out.processRunning = rest.startsWith('running');
      out.lines.push(rest.startsWith('running') ? `broker process running (pid ${f.pid ?? '?'}${f.state === 'T' ? ', stopped by a signal' : ''})` : rest.startsWith('stopped') ? 'broker process not running' : 'broker process unknown (no pgrep)');
    } else if (key === 'disk') {
      if (f.used !== undefined && /^\d+$/.test(f.used)) {
        out.diskUsedPercent = Number(f.used);
        out.mount = f.mount;
        out.lines.push(`data disk ${f.used}% used on ${f.mount ?? '?'}`);
      } else if (rest.startsWith('missing')) out.lines.push('data directory missing');
    } else if (key === 'oom') {
      out.lines.push(f.count !== undefined ? `${f.count} OOM kill(s) in the ${f.window === '1h' ? 'last hour' : 'kernel log since boot'}` : 'OOM kills unknown (no journal access)');
    }
  }
  if (out.lines.length === 0) out.lines.push('the check printed nothing');
  return out;
}

/** kafka-leader-election prints which partitions moved and which already had their preferred leader. */
export function electionSummary(stdout: string): string {
  const done = /Successfully completed leader election \(PREFERRED\) for partitions (.*)$/m.exec(stdout)?.[1];
  const already = /Valid replica already elected for partitions (.*)$/m.exec(stdout)?.[1];
  const n = (s: string | undefined): number => (s ? s.split(',').filter((x) => x.trim()).length : 0);
  const moved = n(done);
  const kept = n(already);
  if (moved === 0 && kept === 0) return 'preferred leader election ran (nothing to move)';
  return `preferred leader election: ${moved} partition(s) moved back to their preferred leader${kept ? `, ${kept} already had it` : ''}`;
}

function stepMarkers(stdout: string): Map<string, { status: string; detail: string }> {
  const out = new Map<string, { status: string; detail: string }>();
  for (const m of stdout.matchAll(/^===MEDIC-STEP (\S+) (\S+) ?(.*)$/gm)) out.set(m[1]!, { status: m[2]!, detail: m[3]!.trim() });
  return out;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

