import {
  CancelCommandCommand,
  DescribeInstanceInformationCommand,
  GetCommandInvocationCommand,
  ListCommandInvocationsCommand,
  ListCommandsCommand,
  SendCommandCommand,
  type CommandInvocation,
  type GetCommandInvocationCommandOutput,
  type SendCommandCommandInput,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { UserError } from '../core/errors.js';
import type { CommandRunResult, CommandTargets, Executor, InstanceResult, InstanceStatus, RunCommandRequest } from '../core/executor.js';

/**
 * AWS SSM Run Command with Medic's own documents. One SendCommand per request (per 50 instance ids, SSM's limit),
 * then polling with backoff: GetCommandInvocation for a single instance, ListCommandInvocations for several or for
 * tag targets (one call per round, not one per instance), and one GetCommandInvocation per finished instance for
 * its output. Output SSM cut at 24,000 characters is read back from the S3 output bucket.
 * Throttling is retried; bad, offline and silent instances become per-instance statuses; an overall deadline and
 * the job's AbortSignal both end in CancelCommand, so a job never hangs.
 */

export interface SsmExecutorOptions {
  ssm: SSMClient;
  s3: S3Client;
  /** Bucket the agents write full output to (their instance profile needs s3:PutObject there). */
  outputS3Bucket?: string;
  outputS3KeyPrefix?: string;
  /** First poll delay; grows by half each round up to maxPollIntervalMs. */
  pollIntervalMs?: number;
  maxPollIntervalMs?: number;
  /** Prepended to document names in the account, e.g. `Staging-` (must match `medic ssm sync --prefix`). */
  documentPrefix?: string;
  /** SendCommand TimeoutSeconds: how long SSM keeps trying to deliver to an offline agent (min 30). */
  deliveryTimeoutSeconds?: number;
  /** Overall deadline of one run; default: execution timeout + delivery timeout + 15 s. */
  deadlineMs?: number;
}

/** SSM keeps the first 24,000 characters of stdout and 8,000 of stderr inline. */
export const SSM_INLINE_STDOUT = 24_000;
export const SSM_INLINE_STDERR = 8_000;
const SSM_MAX_INSTANCE_IDS = 50;
const MEDIC_DOCUMENT = /^Medic-[A-Za-z0-9-]{1,100}$/;
const RUNNING = new Set(['Pending', 'InProgress', 'Delayed', 'Cancelling']);
/** How long to wait for SSM to confirm a cancel before reporting the instance ourselves. */
const CANCEL_GRACE_MS = 10_000;

export function createSsmExecutor(opts: SsmExecutorOptions): Executor {
  const pollMs = opts.pollIntervalMs ?? 1000;
  const maxPollMs = opts.maxPollIntervalMs ?? Math.max(pollMs, 10_000);
  const deliverySeconds = Math.max(30, opts.deliveryTimeoutSeconds ?? 60);

  return {
    async run(request: RunCommandRequest): Promise<CommandRunResult> {
      if (!MEDIC_DOCUMENT.test(request.document)) {
        throw new UserError(`Only Medic's own documents run through SSM, not \`${request.document}\`.`);
      }
      const deadline = Date.now() + (opts.deadlineMs ?? (request.timeoutSeconds + deliverySeconds) * 1000 + 15_000);
      if ('instanceIds' in request.targets) {
        const ids = [...new Set(request.targets.instanceIds)];
        const batches: string[][] = [];
        for (let i = 0; i < ids.length; i += SSM_MAX_INSTANCE_IDS) batches.push(ids.slice(i, i + SSM_MAX_INSTANCE_IDS));
        const results = await Promise.all(batches.map((b) => runBatch(request, { instanceIds: b }, deadline)));
        return { commandId: results.map((r) => r.commandId).filter(Boolean).join(','), instances: results.flatMap((r) => r.instances) };
      }
      return runBatch(request, request.targets, deadline);
    },
  };

  async function runBatch(request: RunCommandRequest, targets: CommandTargets, deadline: number): Promise<CommandRunResult> {
    const invalid: InstanceResult[] = [];
    let ids = 'instanceIds' in targets ? targets.instanceIds : undefined;
    if (request.signal?.aborted) return { commandId: '', instances: (ids ?? []).map((id) => notRun(id, 'Cancelled', 'cancelled before it was sent')) };
    const sentAt = Date.now();
    let commandId: string | undefined;
    for (let attempt = 0; commandId === undefined; attempt++) {
      try {
        const out = await withThrottleRetry(() => opts.ssm.send(new SendCommandCommand(sendInput(request, ids ? { instanceIds: ids } : targets))));
        commandId = out.Command?.CommandId;
        if (!commandId) throw new Error('SSM accepted the command but returned no CommandId');
      } catch (e) {
        const name = errorName(e);
        if (name === 'InvalidInstanceId' && ids && attempt === 0) {
          // SSM refuses the whole command for one bad id; find the bad ones and send to the rest.
          const known = await registeredInstances(ids);
          const bad = known.size === 0 || ids.every((id) => known.has(id)) ? ids : ids.filter((id) => !known.has(id));
          invalid.push(...bad.map((id) => notRun(id, 'InvalidInstance', `SSM does not accept this instance: not registered with SSM, agent not running, or terminated (${errorMessage(e)})`)));
          ids = ids.filter((id) => !bad.includes(id));
          if (ids.length === 0) return { commandId: '', instances: invalid };
          continue;
        }
        if (name === 'InvalidDocument') throw new UserError(`The document ${docName(request.document)} is not installed in this AWS account.`, 'Run `medic ssm sync` with the same document prefix.');
        if (name === 'InvalidParameters') throw new UserError(`SSM refused the parameters of ${request.document}: ${errorMessage(e)}`);
        throw e;
      }
    }
    const finals = await poll(request, commandId, ids, sentAt, deadline);
    return { commandId, instances: [...invalid, ...finals] };
  }

  function sendInput(request: RunCommandRequest, targets: CommandTargets): SendCommandCommandInput {
    // Empty values are left out so the document's default ("" for optional probes) applies.
    const Parameters = Object.fromEntries(Object.entries(request.parameters).filter(([, v]) => v !== '').map(([k, v]) => [k, [v]]));
    return {
      DocumentName: docName(request.document),
      DocumentVersion: '$DEFAULT',
      Parameters,
      ...('instanceIds' in targets ? { InstanceIds: targets.instanceIds } : { Targets: Object.entries(targets.tags).map(([k, v]) => ({ Key: `tag:${k}`, Values: [v] })) }),
      TimeoutSeconds: deliverySeconds,
      // One sick instance must not stop the others: a health check wants every answer.
      MaxConcurrency: '50',
      MaxErrors: '100%',
      Comment: request.comment?.slice(0, 100),
      ...(opts.outputS3Bucket ? { OutputS3BucketName: opts.outputS3Bucket, OutputS3KeyPrefix: opts.outputS3KeyPrefix } : {}),
    };
  }

  function docName(document: string): string {
    return `${opts.documentPrefix ?? ''}${document}`;
  }

  async function registeredInstances(ids: string[]): Promise<Set<string>> {
    const out = await withThrottleRetry(() => opts.ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: ids }] })));
    return new Set((out.InstanceInformationList ?? []).map((i) => i.InstanceId ?? ''));
  }

  async function poll(request: RunCommandRequest, commandId: string, ids: string[] | undefined, sentAt: number, deadline: number): Promise<InstanceResult[]> {
    const finals = new Map<string, InstanceResult>();
    const lastStatus = new Map<string, string>();
    (ids ?? []).forEach((id) => lastStatus.set(id, 'Pending'));
    let interval = pollMs;
    let cancelling: { reason: 'aborted' | 'deadline'; until: number } | undefined;
    const wake = new AbortController();
    const onAbort = (): void => wake.abort();
    request.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      for (;;) {
        if (!cancelling && (request.signal?.aborted || Date.now() >= deadline)) {
          cancelling = { reason: request.signal?.aborted ? 'aborted' : 'deadline', until: Date.now() + CANCEL_GRACE_MS };
          await withThrottleRetry(() => opts.ssm.send(new CancelCommandCommand({ CommandId: commandId }))).catch(() => undefined);
          interval = pollMs;
        }
        if (cancelling && Date.now() >= cancelling.until) break;
        await sleep(jitter(interval), cancelling ? undefined : wake.signal, cancelling ? cancelling.until : deadline);
        interval = Math.min(Math.round(interval * 1.5), maxPollMs);
        let done: boolean;
        try {
          done = ids?.length === 1 ? await pollOne(commandId, ids[0]!, finals, lastStatus, sentAt) : await pollList(commandId, ids, finals, lastStatus, sentAt);
        } catch (e) {
          // A throttled or failed poll is just a missed round; the deadline still bounds the wait.
          if (isThrottling(e) || errorName(e) === 'InvocationDoesNotExist') continue;
          throw e;
        }
        if (done) break;
      }
    } finally {
      request.signal?.removeEventListener('abort', onAbort);
    }
    const waitedS = Math.round((Date.now() - sentAt) / 1000);
    for (const [id, status] of lastStatus) {
      const f = finals.get(id);
      if (f && cancelling?.reason === 'deadline' && f.status === 'Cancelled') {
        finals.set(id, { ...f, status: 'TimedOut', detail: `no result within ${waitedS} s; Medic cancelled it` });
      }
      if (f) continue;
      const base = { instanceId: id, durationMs: Date.now() - sentAt };
      if (cancelling?.reason === 'aborted') finals.set(id, notRun(id, 'Cancelled', 'cancelled by Medic before it finished', base.durationMs));
      else if (status === 'Pending' || status === 'Delayed') finals.set(id, notRun(id, 'Undeliverable', `not delivered within ${waitedS} s (last status ${status}): the instance may be offline or its SSM agent stopped`, base.durationMs));
      else finals.set(id, notRun(id, 'TimedOut', `no result within ${waitedS} s (last status ${status}); Medic cancelled it`, base.durationMs));
    }
    return [...finals.values()];
  }

  /** One instance: GetCommandInvocation is both the status and the output. */
  async function pollOne(commandId: string, id: string, finals: Map<string, InstanceResult>, lastStatus: Map<string, string>, sentAt: number): Promise<boolean> {
    const inv = await opts.ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: id }));
    lastStatus.set(id, inv.StatusDetails ?? inv.Status ?? 'Pending');
    if (RUNNING.has(inv.Status ?? 'Pending')) return false;
    finals.set(id, await fromInvocation(commandId, id, inv, sentAt));
    return true;
  }

  /** Several instances or tag targets: one ListCommandInvocations round, then output for the ones that finished. */
  async function pollList(commandId: string, ids: string[] | undefined, finals: Map<string, InstanceResult>, lastStatus: Map<string, string>, sentAt: number): Promise<boolean> {
    const invocations: CommandInvocation[] = [];
    let NextToken: string | undefined;
    do {
      const page = await opts.ssm.send(new ListCommandInvocationsCommand({ CommandId: commandId, Details: true, MaxResults: 50, NextToken }));
      invocations.push(...(page.CommandInvocations ?? []));
      NextToken = page.NextToken;
    } while (NextToken);
    const newlyDone: CommandInvocation[] = [];
    for (const inv of invocations) {
      const id = inv.InstanceId ?? '';
      lastStatus.set(id, inv.StatusDetails ?? inv.Status ?? 'Pending');
      if (!finals.has(id) && !RUNNING.has(inv.Status ?? 'Pending')) newlyDone.push(inv);
    }
    await Promise.all(
      newlyDone.map(async (inv) => {
        const id = inv.InstanceId ?? '';
        const details = inv.StatusDetails ?? inv.Status ?? '';
        // Nothing ran on an instance SSM could not reach: no output to fetch.
        if (details === 'Undeliverable' || details === 'Delivery Timed Out' || details === 'Terminated' || details === 'InvalidPlatform') {
          finals.set(id, classify(id, inv.Status ?? 'Failed', details, -1, '', '', Date.now() - sentAt));
          return;
        }
        const full = await withThrottleRetry(() => opts.ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: id })));
        finals.set(id, await fromInvocation(commandId, id, full, sentAt));
      }),
    );
    if (ids) return ids.every((id) => finals.has(id));
    // Tag targets: SSM resolves them asynchronously; ask the command how many targets it has before calling it done.
    if (invocations.some((i) => RUNNING.has(i.Status ?? 'Pending'))) return false;
    const cmd = (await opts.ssm.send(new ListCommandsCommand({ CommandId: commandId }))).Commands?.[0];
    if (!cmd || RUNNING.has(cmd.Status ?? 'Pending')) return false;
    return finals.size >= (cmd.TargetCount ?? 0);
  }

  async function fromInvocation(commandId: string, id: string, inv: GetCommandInvocationCommandOutput, sentAt: number): Promise<InstanceResult> {
    let stdout = inv.StandardOutputContent ?? '';
    let stderr = inv.StandardErrorContent ?? '';
    const notes: string[] = [];
    if (stdout.length >= SSM_INLINE_STDOUT - 100) {
      const full = await readS3Output(inv.StandardOutputUrl, commandId, id, inv.PluginName, 'stdout');
      if (full !== undefined) stdout = full;
      else notes.push(`stdout cut at ${SSM_INLINE_STDOUT.toLocaleString('en-US')} characters${opts.outputS3Bucket ? ' and not found in S3' : ' (configure an output S3 bucket to read all of it)'}`);
    }
    if (stderr.length >= SSM_INLINE_STDERR - 100) {
      const full = await readS3Output(inv.StandardErrorUrl, commandId, id, inv.PluginName, 'stderr');
      if (full !== undefined) stderr = full;
    }
    const r = classify(id, inv.Status ?? 'Failed', inv.StatusDetails ?? inv.Status ?? '', inv.ResponseCode ?? -1, stdout, stderr, elapsedMs(inv) ?? Date.now() - sentAt);
    return notes.length ? { ...r, detail: [r.detail, ...notes].filter(Boolean).join('; ') } : r;
  }

  async function readS3Output(url: string | undefined, commandId: string, id: string, plugin: string | undefined, stream: 'stdout' | 'stderr'): Promise<string | undefined> {
    const bucket = opts.outputS3Bucket;
    if (!bucket) return undefined;
    // Only our own bucket is read: the key comes from the URL SSM reports, or from the agent's key layout.
    const key = (url && keyFromUrl(url, bucket)) ?? [opts.outputS3KeyPrefix, commandId, id, 'awsrunShellScript', plugin, stream].filter(Boolean).join('/');
    try {
      const obj = await withThrottleRetry(() => opts.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key })));
      return (await obj.Body?.transformToString('utf8')) ?? undefined;
    } catch (e) {
      if (errorName(e) === 'NoSuchKey' || errorName(e) === 'AccessDenied') return undefined;
      throw e;
    }
  }
}

/** Maps SSM's Status/StatusDetails to Medic's per-instance status with words a person understands. */
function classify(id: string, status: string, details: string, code: number, stdout: string, stderr: string, durationMs: number): InstanceResult {
  const base = { instanceId: id, stdout, stderr, durationMs };
  const ran = code >= 0 ? code : null;
  switch (details) {
    case 'Success':
      return { ...base, status: 'Success', exitCode: ran ?? 0 };
    case 'Execution Timed Out':
      return { ...base, status: 'TimedOut', exitCode: null, detail: 'the step ran longer than its timeout and was stopped (Execution Timed Out)' };
    case 'Delivery Timed Out':
      return { ...base, status: 'Undeliverable', exitCode: null, detail: 'not delivered in time: the instance is offline or its SSM agent is not running (Delivery Timed Out)' };
    case 'Undeliverable':
      return { ...base, status: 'Undeliverable', exitCode: null, detail: 'SSM could not deliver the command: the agent is offline or the instance is not managed (Undeliverable)' };
    case 'Terminated':
      return { ...base, status: 'Terminated', exitCode: null, detail: 'the instance was terminated' };
    case 'Cancelled':
      return { ...base, status: 'Cancelled', exitCode: null, detail: 'cancelled' };
    case 'Access Denied':
      return { ...base, status: 'Failed', exitCode: ran, detail: 'access denied (check the instance profile and the document permissions)' };
    case 'InvalidPlatform':
      return { ...base, status: 'Failed', exitCode: null, detail: 'the document does not run on this platform (not Linux?)' };
    default:
      break;
  }
  const byStatus: Record<string, InstanceStatus> = { Success: 'Success', Cancelled: 'Cancelled', TimedOut: 'TimedOut', Failed: 'Failed' };
  const s = byStatus[status] ?? 'Failed';
  if (s === 'Failed') {
    const line = stderr.split('\n').find((l) => l.trim());
    return { ...base, status: s, exitCode: ran, detail: `exited with code ${ran ?? 'unknown'}${line ? `: ${line.trim().slice(0, 200)}` : ''}` };
  }
  return { ...base, status: s, exitCode: s === 'Success' ? (ran ?? 0) : null };
}

function notRun(instanceId: string, status: InstanceStatus, detail: string, durationMs = 0): InstanceResult {
  return { instanceId, status, exitCode: null, stdout: '', stderr: '', durationMs, detail };
}

function elapsedMs(inv: GetCommandInvocationCommandOutput): number | undefined {
  const m = /^PT(?:(\d+)H)?(?:(\d+)M)?(?:([\d.]+)S)?$/.exec(inv.ExecutionElapsedTime ?? '');
  if (!m || (!m[1] && !m[2] && !m[3])) return undefined;
  return Math.round(((Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0)) * 60 + Number(m[3] ?? 0)) * 1000);
}

/** `https://s3.<region>.amazonaws.com/<bucket>/<key>` (path style) or `https://<bucket>.s3...amazonaws.com/<key>`. */
export function keyFromUrl(url: string, bucket: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  const path = decodeURIComponent(u.pathname).replace(/^\/+/, '');
  if (u.hostname.startsWith(`${bucket}.`)) return path || undefined;
  if (path.startsWith(`${bucket}/`)) return path.slice(bucket.length + 1) || undefined;
  return undefined;
}

function errorName(e: unknown): string {
  return e && typeof e === 'object' && 'name' in e ? String((e as { name: unknown }).name) : '';
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export function isThrottling(e: unknown): boolean {
  const name = errorName(e);
  if (name === 'ThrottlingException' || name === 'TooManyRequestsException' || name === 'RequestLimitExceeded' || name === 'SlowDown') return true;
  const r = (e as { $retryable?: { throttling?: boolean } } | null)?.$retryable;
  return r?.throttling === true;
}

/**
 * On top of the SDK's own retries (configure `maxAttempts`/`retryMode: 'adaptive'` on the client): when those are
 * spent on a throttle, back off and try again a few more times before giving up.
 */
async function withThrottleRetry<T>(fn: () => Promise<T>, attempts = 5): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (!isThrottling(e) || i >= attempts - 1) throw e;
      await sleep(jitter(Math.min(200 * 2 ** i, 5000)));
    }
  }
}

function jitter(ms: number): number {
  return Math.round(ms * (0.8 + Math.random() * 0.4));
}

/** Sleeps `ms`, or less when `wake` aborts or `until` (epoch ms) comes first. */
function sleep(ms: number, wake?: AbortSignal, until?: number): Promise<void> {
  const wait = Math.max(0, until === undefined ? ms : Math.min(ms, until - Date.now()));
  if (wake?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(done, wait);
    function done(): void {
      clearTimeout(t);
      wake?.removeEventListener('abort', done);
      resolve();
    }
    wake?.addEventListener('abort', done, { once: true });
  });
}
