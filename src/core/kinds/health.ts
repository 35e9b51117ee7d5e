import type { InstanceStatus } from '../executor.js';
import type { ResultBase } from '../result.js';

/** `health <env> [tier]`: every instance of every tier (or of one tier), in parallel, one command per tier. */
export interface HealthRequest {
  kind: 'health.check';
  env: string;
  tier?: string;
}

/** What Medic-HealthCheck reports about one host (its stdout JSON). null = the probe could not answer. */
export interface HostReadings {
  instanceId: string;
  hostname: string;
  os: string | null;
  collectedAt: number | null;
  uptimeSeconds: number | null;
  load: { one: number | null; five: number | null; fifteen: number | null; cores: number | null } | null;
  /** Bytes, as `free -b` reports them (used = what free calls used). */
  memory: { source: string; totalBytes: number | null; usedBytes: number | null; freeBytes: number | null; availableBytes: number | null; swapTotalBytes: number | null; swapUsedBytes: number | null } | null;
  /** Real filesystems and tmpfs mounts, as `df -Pk` reports them; `fsType` from /proc/mounts (null: unknown). */
  disks: Array<{ filesystem: string; mount: string; fsType?: string | null; sizeKb: number | null; usedKb: number | null; availableKb: number | null; usedPercent: number | null }> | null;
  inodes: Array<{ filesystem: string; mount: string; fsType?: string | null; inodes: number | null; used: number | null; free: number | null; usedPercent: number | null }> | null;
  /** null when the tier names no JVM. */
  jvm: { found: boolean; via: 'process' | 'container'; pid: number | null; uptimeSeconds: number | null; xmx: string | null; rssKb: number | null; user: string | null; cwd: string | null; command: string | null } | null;
  /** null when the tier names no health URL. `curlExit` 0 = answered; 7 refused; 28 timed out. */
  health: { url: string; httpStatus: number | null; latencyMs: number | null; curlExit: number | null } | null;
  ports: number[] | null;
  /** JVM crash files modified in the last 24 h. */
  hsErr: Array<{ path: string; mtime: number | null }>;
  /** `window`: `24h` from the kernel journal, `boot` from dmesg. */
  oom: { kills: number | 'unknown'; window: '24h' | 'boot' | null; source: string | null; last: string | null };
  clock: { offsetSeconds: number | null; source: string | null; synchronized: boolean | null };
  /** Probes that could not answer, in words. */
  notes: string[];
}

export type HealthGrade = 'ok' | 'warn' | 'critical';
/** `unknown`: the probe could not read it (no tool, no permission); listed, never counted as sick or healthy. */
export type HealthCheckGrade = HealthGrade | 'unknown';

export type HealthCheckId = 'reachable' | 'output' | 'uptime' | 'load' | 'memory' | 'disk' | 'inodes' | 'jvm' | 'health-url' | 'hs-err' | 'oom' | 'clock';

/** One graded reading of one instance. */
export interface HealthCheck {
  id: HealthCheckId;
  grade: HealthCheckGrade;
  /** Short phrase for summaries, e.g. `disk 97% on /var`, `JVM down`. */
  headline: string;
  /** The reading as shown in the table, e.g. `97%`. */
  value: string;
  detail?: string;
  /** Mount point for disk/inode checks (one check per mount). */
  mount?: string;
  /** Disk/inode checks of a memory-backed mount (`tmpfs`: /tmp, /dev/shm, /run), which no disk cleanup frees. */
  tmpfs?: boolean;
}

export interface HealthInstanceRow {
  tier: string;
  instanceId: string;
  /** Display name from the inventory (`names:`), else the instance id. */
  name: string;
  /** How the command went on this instance. */
  status: InstanceStatus;
  grade: HealthGrade;
  /** Every check; the sick ones first. */
  checks: HealthCheck[];
  readings: HostReadings | null;
  detail?: string;
  durationMs: number;
}

export interface HealthResult extends ResultBase {
  kind: 'health.check';
  env: string;
  tier?: string;
  tiers: string[];
  /** Worst first. */
  instances: HealthInstanceRow[];
  counts: Record<HealthGrade, number>;
  /** SSM command ids (or local ids), for audit. */
  commandIds: string[];
  startedAt: number;
  finishedAt: number;
}
