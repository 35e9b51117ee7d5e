import { UserError } from '../../core/errors.js';
import type { InstanceResult } from '../../core/executor.js';
import type { DiskCleanupPolicy } from '../../core/inventory.js';
import { DISK_ACTIONS, resolveDiskTarget, type DiskActionId, type DiskCleanupRequest, type DiskMount, type ResolvedDiskTarget } from '../../core/kinds/disk.js';
import type { RunbookContext } from '../../core/runbook.js';
import { parseDiskOutput, type DiskOutput } from '../../analyzers/disk/parse-disk.js';

/** src/runbooks/documents/Medic-Disk.yaml: Mode=check (read-only) and Mode=cleanup. */
export const DISK_DOCUMENT = 'Medic-Disk';
/** Time budget of the top-consumer scan over all mounts; the whole command gets this plus room for the rest. */
export const DISK_SCAN_SECONDS = 30;
const CAP_PARAM: Record<DiskActionId, string> = { 'rotated-logs': 'CapLogs', 'heap-dumps': 'CapDumps', journal: 'CapJournal', docker: 'CapDocker', 'deleted-open': 'CapOpen' };

/** The document's parameters for a policy: the allow-list travels as typed parameters, never as script text. */
export function diskParameters(policy: DiskCleanupPolicy, mode: 'check' | 'cleanup', opts: { mount?: string; scanSeconds?: number; caps?: DiskCleanupRequest['caps'] } = {}): Record<string, string> {
  const p: Record<string, string> = {
    Mode: mode,
    Mount: opts.mount ?? '',
    ScanSeconds: String(opts.scanSeconds ?? DISK_SCAN_SECONDS),
    LogPaths: policy.rotatedLogs?.paths.join(':') ?? '',
    LogDays: String(policy.rotatedLogs?.olderThanDays ?? 7),
    DumpPaths: policy.heapDumps?.paths.join(':') ?? '',
    DumpDays: String(policy.heapDumps?.olderThanDays ?? 0),
    DumpsOnlyUploaded: policy.heapDumps?.onlyUploaded === false ? 'no' : 'yes',
    JournalMaxMB: policy.journalMaxMB === undefined ? '' : String(policy.journalMaxMB),
    DockerImages: policy.docker?.images ?? 'none',
    DockerContainers: policy.docker?.containers ? 'yes' : 'no',
    DockerBuildCache: policy.docker?.buildCache ? 'yes' : 'no',
    TruncateOpen: policy.truncateDeletedOpenFiles ? 'yes' : 'no',
  };
  if (mode === 'cleanup') {
    for (const a of DISK_ACTIONS) {
      const cap = opts.caps === 'any' ? 'any' : opts.caps?.[a];
      p[CAP_PARAM[a]] = cap === undefined ? 'skip' : String(cap);
    }
  }
  return p;
}

/** Runs Medic-Disk on the one instance and parses what it printed; refusals become UserErrors with the reason. */
export async function runDiskDocument(
  request: { env: string; target: string; mount?: string },
  ctx: RunbookContext,
  mode: 'check' | 'cleanup',
  build: (t: ResolvedDiskTarget) => Record<string, string>,
): Promise<{ t: ResolvedDiskTarget; out: DiskOutput; run: InstanceResult; commandId: string }> {
  const t = resolveDiskTarget(ctx.inventory, request.env, request.target);
  const res = await ctx.services.executor.run({
    document: DISK_DOCUMENT,
    parameters: build(t),
    targets: { instanceIds: [t.instanceId] },
    timeoutSeconds: mode === 'check' ? DISK_SCAN_SECONDS + 120 : 900,
    signal: ctx.signal,
    comment: `Medic ${ctx.jobId}: disk${mode === 'cleanup' ? ' cleanup' : ''} ${request.env} ${t.name}`,
  });
  ctx.signal.throwIfAborted();
  const run = res.instances.find((i) => i.instanceId === t.instanceId) ?? res.instances[0];
  if (!run) throw new UserError(`${t.name} (${t.instanceId}) did not answer: SSM returned no invocation.`, 'Check that the instance is online in SSM (`health` shows it).');
  const out = parseDiskOutput(run.stdout);
  if (out.error) throw new UserError(`${t.name}: ${out.error}.`, 'Type `disk <env> <target>` without a mount to see the mounts it has.');
  // exit 12 is the document's "plan grew" refusal: a result, not a failure.
  const refusedGrew = mode === 'cleanup' && run.exitCode === 12 && out.grew.length > 0;
  if (run.status !== 'Success' && !refusedGrew) {
    throw new UserError(`${t.name} (${t.instanceId}): the disk ${mode} did not finish (${run.status}${run.detail ? `: ${run.detail}` : ''}).`, run.status === 'TimedOut' ? 'The host may be very slow; try again with a mount, e.g. `disk <env> <target> /var`.' : 'Check the instance in SSM, then try again.');
  }
  if (!out.ended && !refusedGrew) throw new UserError(`${t.name}: the disk ${mode} output was cut short.`, 'Try again; if it repeats, name one mount.');
  return { t, out, run, commandId: res.commandId };
}

/** Adds the growth since the reading Medic took before, and stores this one. */
export async function withGrowth(env: string, instanceId: string, mounts: DiskMount[], at: number, ctx: RunbookContext): Promise<DiskMount[]> {
  const history = ctx.services.diskHistory;
  if (!history) return mounts.map((m) => ({ ...m, growth: null }));
  return Promise.all(
    mounts.map(async (m) => {
      try {
        const prev = await history.swap({ env, instanceId, mount: m.mount }, { at, usedBytes: m.usedBytes, inodesUsed: m.inodesUsed });
        if (!prev || prev.at >= at) return { ...m, growth: null };
        const delta = m.usedBytes - prev.usedBytes;
        return {
          ...m,
          growth: { previousAt: prev.at, usedBytesDelta: delta, inodesUsedDelta: m.inodesUsed !== null && prev.inodesUsed !== null ? m.inodesUsed - prev.inodesUsed : null, bytesPerHour: Math.round((delta * 3_600_000) / (at - prev.at)) },
        };
      } catch (e) {
        // Growth is a nicety: a Redis hiccup must not cost the diagnosis.
        ctx.log.warn({ err: (e as Error).message, mount: m.mount }, 'disk: reading history unavailable');
        return { ...m, growth: null };
      }
    }),
  );
}
