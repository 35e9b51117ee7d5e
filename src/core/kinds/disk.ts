import { UserError } from '../errors.js';
import type { DiskCleanupPolicy, Inventory, Tier } from '../inventory.js';
import type { ResultBase } from '../result.js';

/** The allow-listed cleanup actions, in the order they run. */
export const DISK_ACTIONS = ['rotated-logs', 'heap-dumps', 'journal', 'docker', 'deleted-open'] as const;
export type DiskActionId = (typeof DISK_ACTIONS)[number];

/** `disk <env> <target> [mount]`: what fills the disks of one instance, and the dry-run plan of its cleanup. */
export interface DiskCheckRequest {
  kind: 'disk.check';
  env: string;
  target: string;
  /** One mount point; absent for every real filesystem and tmpfs. */
  mount?: string;
}

/**
 * `disk cleanup <env> <target> [mount] plan:<action>=<bytes>,...`: the allow-listed cleanup. `policy` is the
 * allow-list resolved from the configuration (so the approval's hash binds every path); `caps` are the bytes the
 * approved dry run showed per action (`any`: no cap, for routes that auto-remediate). Actions without a cap do not run.
 */
export interface DiskCleanupRequest {
  kind: 'disk.cleanup';
  env: string;
  target: string;
  mount?: string;
  caps: Partial<Record<DiskActionId, number>> | 'any';
  policy: DiskCleanupPolicy;
}

/** One mount as df reports it, with the change since the reading Medic took before (null: no earlier reading). */
export interface DiskMount {
  mount: string;
  filesystem: string;
  fsType: string | null;
  sizeBytes: number;
  usedBytes: number;
  availableBytes: number;
  inodes: number | null;
  inodesUsed: number | null;
  inodesFree: number | null;
  growth?: DiskGrowth | null;
}

export interface DiskGrowth {
  /** When the previous reading was taken (ms since epoch). */
  previousAt: number;
  usedBytesDelta: number;
  inodesUsedDelta: number | null;
  /** usedBytesDelta per hour over the interval. */
  bytesPerHour: number;
}

/** A consumer found by the budgeted scan. `kind`: dir, file, rotated log, heap dump, core file. */
export interface DiskConsumer {
  kind: 'dir' | 'file' | 'rot' | 'dump' | 'core';
  mount: string;
  path: string;
  bytes: number;
  mtime?: number;
  /** Heap dumps: a `<dump>.uploaded` marker beside it confirms the upload. */
  uploaded?: boolean;
}

export interface DiskScan {
  mount: string;
  /** false: the time budget ran out and the lists are what was seen until then. */
  complete: boolean;
  seconds: number | null;
  files: number;
  bytes: number;
  rotated: { files: number; bytes: number };
  dumps: { files: number; bytes: number };
  cores: { files: number; bytes: number };
}

/** A file deleted but still held open by a process: its space is not free until the process lets go. */
export interface DeletedOpenFile {
  pid: number;
  fd: number;
  process: string;
  path: string;
  mount: string;
  bytes: number;
  /** Under an allow-listed log directory, so `truncateDeletedOpenFiles` may truncate it. */
  underLogPaths: boolean;
}

/** One allow-listed directory's share of an action (or one deleted-open file), bytes computed on the host. */
export interface DiskPlanItem {
  action: DiskActionId;
  path: string;
  mount: string;
  files: number;
  bytes: number;
  /** false for docker and the journal, whose tools decide the exact files. */
  exact: boolean;
  pid?: number;
  fd?: number;
  process?: string;
}

export interface DiskDocker {
  reachable: boolean;
  types: Array<{ type: string; count: number | null; active: number | null; bytes: number | null; reclaimableBytes: number | null }>;
}

interface DiskResultBase extends ResultBase {
  env: string;
  target: string;
  name: string;
  tier: string;
  instanceId: string;
  mount?: string;
  commandId: string;
  notes: string[];
}

export interface DiskCheckResult extends DiskResultBase {
  kind: 'disk.check';
  mounts: DiskMount[];
  scans: DiskScan[];
  consumers: DiskConsumer[];
  deletedOpen: DeletedOpenFile[];
  /** Bytes of systemd journal files; null when there is no journal here. */
  journalBytes: number | null;
  docker: DiskDocker;
  plan: DiskPlanItem[];
  /** The cleanup the policy allows, with nothing configured = []. */
  allowedActions: DiskActionId[];
  scanBudgetSeconds: number;
  /** What to type to ask for this plan's cleanup (null when nothing would be freed). */
  cleanupCommand: string | null;
}

export interface DiskActionOutcome {
  action: DiskActionId;
  path: string;
  mount: string;
  files: number;
  bytes: number;
  failures: number;
  error: string | null;
}

export interface DiskCleanupResult extends DiskResultBase {
  kind: 'disk.cleanup';
  outcome: 'cleaned' | 'refused-grew' | 'nothing-to-do';
  before: DiskMount[];
  after: DiskMount[];
  plan: DiskPlanItem[];
  applied: DiskActionOutcome[];
  /** Actions whose plan grew beyond the approved bytes (outcome refused-grew). */
  grew: Array<{ action: DiskActionId; plannedBytes: number; approvedBytes: number }>;
  caps: DiskCleanupRequest['caps'];
  freedBytes: number;
  failures: number;
}

/** The instance a disk command names: a display name from a tier's `names`, or an instance id of a tier. */
export interface ResolvedDiskTarget {
  env: string;
  tier: string;
  instanceId: string;
  name: string;
  policy: DiskCleanupPolicy;
}

/** The allow-list of a tier: its own `cleanup:` keys win over the environment's. */
export function resolveCleanupPolicy(envPolicy: DiskCleanupPolicy | undefined, tier: Tier): DiskCleanupPolicy {
  return { ...(envPolicy ?? {}), ...(tier.cleanup ?? {}) };
}

export function resolveDiskTarget(inventory: Inventory, envName: string, target: string): ResolvedDiskTarget {
  const env = inventory[envName];
  if (!env) throw new UserError(`There is no environment \`${envName}\`.`, 'Type `envs` to see the environments you may use.');
  const tiers = Object.entries(env.tiers);
  const make = (tierName: string, tier: Tier, instanceId: string): ResolvedDiskTarget => ({
    env: envName,
    tier: tierName,
    instanceId,
    name: tier.names?.[instanceId] ?? instanceId,
    policy: resolveCleanupPolicy(env.cleanup, tier),
  });
  for (const [name, tier] of tiers) {
    const byName = Object.entries(tier.names ?? {}).find(([, display]) => display === target);
    if (byName) return make(name, tier, byName[0]);
  }
  for (const [name, tier] of tiers) {
    if ('instanceIds' in tier.targets && tier.targets.instanceIds.includes(target)) return make(name, tier, target);
  }
  if (/^(i-[0-9a-f]{8,17}|mi-[0-9a-f]{17})$/.test(target)) {
    const tagTiers = tiers.filter(([, t]) => 'tag' in t.targets);
    if (tagTiers.length === 1) return make(tagTiers[0]![0], tagTiers[0]![1], target);
  }
  const known = tiers.flatMap(([, t]) => ('instanceIds' in t.targets ? t.targets.instanceIds.map((id) => t.names?.[id] ?? id) : []));
  throw new UserError(`\`${target}\` is not an instance of \`${envName}\`.`, known.length ? `Its instances: ${known.slice(0, 20).join(', ')}.` : 'Name an instance id of one of its tiers.');
}

/** Actions the policy allows, in run order. */
export function allowedActions(policy: DiskCleanupPolicy): DiskActionId[] {
  const on: Record<DiskActionId, boolean> = {
    'rotated-logs': Boolean(policy.rotatedLogs?.paths.length),
    'heap-dumps': Boolean(policy.heapDumps?.paths.length),
    journal: policy.journalMaxMB !== undefined,
    docker: Boolean(policy.docker && (policy.docker.images !== 'none' || policy.docker.containers || policy.docker.buildCache)),
    'deleted-open': Boolean(policy.truncateDeletedOpenFiles && policy.rotatedLogs?.paths.length),
  };
  return DISK_ACTIONS.filter((a) => on[a]);
}

/** Bytes per action of a plan, for the caps of the cleanup that follows it. */
export function planCaps(plan: readonly DiskPlanItem[]): Partial<Record<DiskActionId, number>> {
  const caps: Partial<Record<DiskActionId, number>> = {};
  for (const p of plan) caps[p.action] = (caps[p.action] ?? 0) + p.bytes;
  return caps;
}

/** The chat token carrying approved caps: `plan:rotated-logs=1234,deleted-open=56`. */
export const PLAN_TOKEN = /^plan:([a-z-]{1,20}=[0-9]{1,15})(,[a-z-]{1,20}=[0-9]{1,15}){0,9}$/;

export function formatPlanToken(caps: Partial<Record<DiskActionId, number>>): string {
  return `plan:${DISK_ACTIONS.filter((a) => caps[a] !== undefined).map((a) => `${a}=${caps[a]}`).join(',')}`;
}

/** Parses a plan token; throws a UserError naming the unknown action. */
export function parsePlanToken(token: string): Partial<Record<DiskActionId, number>> {
  if (!PLAN_TOKEN.test(token)) throw new UserError(`\`${token.slice(0, 80)}\` is not a plan.`, 'Use the button of a `disk` card, or `plan:rotated-logs=<bytes>,...`.');
  const caps: Partial<Record<DiskActionId, number>> = {};
  for (const part of token.slice('plan:'.length).split(',')) {
    const [action, bytes] = part.split('=') as [string, string];
    if (!(DISK_ACTIONS as readonly string[]).includes(action)) throw new UserError(`\`${action}\` is not a cleanup action.`, `Actions: ${DISK_ACTIONS.join(', ')}.`);
    caps[action as DiskActionId] = Number(bytes);
  }
  return caps;
}

/** The text that asks for a cleanup within a plan (the `disk` card's button, and what people may type). */
export function cleanupCommandText(env: string, target: string, mount: string | undefined, caps: Partial<Record<DiskActionId, number>>): string {
  return ['disk cleanup', env, target, ...(mount ? [mount] : []), formatPlanToken(caps)].join(' ');
}

/** One reading of a mount, kept between `disk` runs so the next one can say how fast it fills. */
export interface DiskReading {
  at: number;
  usedBytes: number;
  inodesUsed: number | null;
}

/**
 * The last reading per instance and mount (Redis in the bot; absent in `medic run`, where growth is then unknown).
 * `swap` stores the new reading and returns the previous one, atomically.
 */
export interface DiskHistory {
  swap(key: { env: string; instanceId: string; mount: string }, reading: DiskReading): Promise<DiskReading | undefined>;
}
