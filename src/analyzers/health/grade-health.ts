import type { InstanceResult } from '../../core/executor.js';
import type { HealthCheck, HealthCheckGrade, HealthGrade, HealthInstanceRow, HostReadings } from '../../core/kinds/health.js';
import { parseHealthReadings, parseXmx } from './parse-readings.js';
import type { HealthThresholds } from './thresholds.js';

/** What the tier promised, so a missing JVM is "down" only where a JVM is expected. */
export interface TierExpectations {
  /** `process` pattern or `container` name from the inventory. */
  jvm?: { process?: string; container?: string };
  healthUrl?: string;
}

const RANK: Record<HealthCheckGrade, number> = { critical: 3, warn: 2, unknown: 1, ok: 0 };

export function worstGrade(checks: HealthCheck[]): HealthGrade {
  if (checks.some((c) => c.grade === 'critical')) return 'critical';
  if (checks.some((c) => c.grade === 'warn')) return 'warn';
  return 'ok';
}

/** Higher `bad` is worse (disk, load), unless `lowerIsWorse` (memory available). */
export function level(value: number, t: { warn: number; critical: number }, lowerIsWorse = false): HealthGrade {
  if (lowerIsWorse) return value <= t.critical ? 'critical' : value <= t.warn ? 'warn' : 'ok';
  return value >= t.critical ? 'critical' : value >= t.warn ? 'warn' : 'ok';
}

const CURL_EXIT: Record<number, string> = {
  6: 'host not found',
  7: 'connection refused',
  28: 'no answer within 5 s',
  35: 'TLS handshake failed',
  52: 'empty reply',
  56: 'connection reset',
  60: 'TLS certificate not trusted; for a self-signed one set healthUrlInsecure: true on the tier’s jvm',
};

/** Grades every reading of one host. Pure: `now` (epoch seconds) only ages the crash files. */
export function gradeReadings(r: HostReadings, t: HealthThresholds, expect: TierExpectations, now: number): HealthCheck[] {
  const checks: HealthCheck[] = [];
  const unknown = (id: HealthCheck['id'], what: string, note?: string): void => {
    checks.push({ id, grade: 'unknown', headline: `${what} unknown`, value: 'unknown', detail: note ?? r.notes.find((n) => n.startsWith(id)) });
  };

  if (r.uptimeSeconds === null) unknown('uptime', 'uptime');
  else {
    const recent = r.uptimeSeconds < t.recentBootSeconds;
    checks.push({ id: 'uptime', grade: recent ? 'warn' : 'ok', headline: recent ? `rebooted ${duration(r.uptimeSeconds)} ago` : `up ${duration(r.uptimeSeconds)}`, value: duration(r.uptimeSeconds) });
  }

  const load5 = r.load?.five ?? null;
  const cores = r.load?.cores ?? null;
  if (load5 === null || !cores) unknown('load', 'load');
  else {
    const perCore = load5 / cores;
    checks.push({ id: 'load', grade: level(perCore, t.loadPerCore), headline: `load ${load5} on ${cores} core${cores === 1 ? '' : 's'}`, value: `${load5} (${perCore.toFixed(2)}/core)`, detail: `1/5/15 min: ${r.load?.one ?? '?'} / ${load5} / ${r.load?.fifteen ?? '?'}` });
  }

  const m = r.memory;
  if (!m || !m.totalBytes || m.availableBytes === null) unknown('memory', 'memory');
  else {
    const pct = (m.availableBytes / m.totalBytes) * 100;
    checks.push({ id: 'memory', grade: level(pct, t.memoryAvailablePercent, true), headline: `memory ${Math.floor(pct)}% available`, value: `${bytes(m.availableBytes)} of ${bytes(m.totalBytes)} available (${Math.floor(pct)}%)`, detail: m.swapTotalBytes ? `swap used ${bytes(m.swapUsedBytes ?? 0)} of ${bytes(m.swapTotalBytes)}` : undefined });
  }

  if (!r.disks) unknown('disk', 'disk');
  else
    for (const d of r.disks) {
      if (d.usedPercent === null) continue;
      const free = d.availableKb !== null ? ` (${bytes(d.availableKb * 1024)} free)` : '';
      if (d.fsType === 'tmpfs') {
        // Memory-backed: a full /tmp or /dev/shm fails writes (and shared-memory users) just like a full disk.
        checks.push({ id: 'disk', mount: d.mount, tmpfs: true, grade: level(d.usedPercent, t.diskUsedPercent), headline: `tmpfs ${d.usedPercent}% full on ${d.mount}`, value: `${d.usedPercent}%${free}`, detail: `tmpfs (in memory)${d.sizeKb !== null ? `, size ${bytes(d.sizeKb * 1024)}` : ''}` });
        continue;
      }
      checks.push({ id: 'disk', mount: d.mount, grade: level(d.usedPercent, t.diskUsedPercent), headline: `disk ${d.usedPercent}% on ${d.mount}`, value: `${d.usedPercent}%${free}`, detail: d.filesystem });
    }
  if (!r.inodes) unknown('inodes', 'inodes');
  else
    for (const d of r.inodes) {
      // Filesystems without a fixed inode table (btrfs, some network mounts) report no percentage.
      if (d.usedPercent === null) continue;
      const tmpfs = d.fsType === 'tmpfs';
      checks.push({ id: 'inodes', mount: d.mount, ...(tmpfs ? { tmpfs } : {}), grade: level(d.usedPercent, t.inodeUsedPercent), headline: `inodes ${d.usedPercent}% on ${tmpfs ? 'tmpfs ' : ''}${d.mount}`, value: `${d.usedPercent}%`, detail: tmpfs ? 'tmpfs (in memory)' : d.filesystem });
    }

  if (expect.jvm) {
    const j = r.jvm;
    const gone = expect.jvm.container ? `container ${expect.jvm.container} is not running` : `no process matching "${expect.jvm.process ?? ''}" is running`;
    if (!j) unknown('jvm', 'JVM');
    else if (!j.found) checks.push({ id: 'jvm', grade: 'critical', headline: 'JVM down', value: 'not running', detail: gone });
    else {
      const xmx = parseXmx(j.xmx);
      checks.push({ id: 'jvm', grade: 'ok', headline: 'JVM up', value: `pid ${j.pid ?? '?'}${j.uptimeSeconds !== null ? `, up ${duration(j.uptimeSeconds)}` : ''}${j.xmx ? `, -Xmx${j.xmx}` : ''}`, detail: xmx === null ? 'no -Xmx on the command line (the JVM sizes its own heap)' : `heap limit ${bytes(xmx)}${j.rssKb !== null ? `, RSS ${bytes(j.rssKb * 1024)}` : ''}` });
    }
  }

  if (expect.healthUrl) {
    const h = r.health;
    if (!h) unknown('health-url', 'health URL');
    else if (h.httpStatus === null) {
      const why = h.curlExit === null ? 'curl is not installed' : (CURL_EXIT[h.curlExit] ?? `curl exit ${h.curlExit}`);
      checks.push({ id: 'health-url', grade: h.curlExit === null ? 'unknown' : 'critical', headline: `health URL unreachable (${why})`, value: why, detail: h.url });
    } else if (h.httpStatus < 200 || h.httpStatus > 299) {
      checks.push({ id: 'health-url', grade: 'critical', headline: `health URL ${h.httpStatus}`, value: `HTTP ${h.httpStatus}${h.latencyMs !== null ? ` in ${ms(h.latencyMs)}` : ''}`, detail: h.url });
    } else {
      const g = h.latencyMs === null ? 'ok' : level(h.latencyMs, t.healthLatencyMs);
      checks.push({ id: 'health-url', grade: g, headline: g === 'ok' ? `health URL ${h.httpStatus}` : `health URL slow (${ms(h.latencyMs ?? 0)})`, value: `HTTP ${h.httpStatus}${h.latencyMs !== null ? ` in ${ms(h.latencyMs)}` : ''}`, detail: h.url });
    }
  }

  if (r.hsErr.length > 0) {
    const newest = Math.max(...r.hsErr.map((f) => f.mtime ?? 0));
    const name = r.hsErr.find((f) => (f.mtime ?? 0) === newest)?.path ?? r.hsErr[0]!.path;
    checks.push({ id: 'hs-err', grade: t.hsErrGrade, headline: `JVM crash file ${newest ? `${duration(Math.max(0, now - newest))} ago` : 'in the last 24 h'}`, value: `${r.hsErr.length} hs_err file${r.hsErr.length === 1 ? '' : 's'}`, detail: name });
  } else checks.push({ id: 'hs-err', grade: 'ok', headline: 'no JVM crash files', value: 'none in 24 h' });

  if (r.oom.kills === 'unknown') unknown('oom', 'OOM kills', 'the kernel log is not readable');
  else {
    const window = r.oom.window === '24h' ? 'in 24 h' : 'since boot';
    checks.push({ id: 'oom', grade: r.oom.kills > 0 ? t.oomKillGrade : 'ok', headline: r.oom.kills > 0 ? `${r.oom.kills} OOM kill${r.oom.kills === 1 ? '' : 's'} ${window}` : 'no OOM kills', value: `${r.oom.kills} ${window}`, detail: r.oom.last ?? undefined });
  }

  const off = r.clock.offsetSeconds;
  if (off === null) {
    if (r.clock.synchronized === false) checks.push({ id: 'clock', grade: 'warn', headline: 'clock not synchronized', value: 'not synchronized', detail: r.clock.source ?? undefined });
    else unknown('clock', 'clock offset');
  } else {
    const g = level(Math.abs(off), t.clockOffsetSeconds);
    const unsynced = r.clock.synchronized === false && g === 'ok';
    checks.push({ id: 'clock', grade: unsynced ? 'warn' : g, headline: unsynced ? 'clock not synchronized' : `clock off ${seconds(off)}`, value: seconds(off), detail: r.clock.source ?? undefined });
  }
  return sortChecks(checks);
}

export interface InstanceInput {
  tier: string;
  name: string;
  result: InstanceResult;
  thresholds: HealthThresholds;
  expect: TierExpectations;
  /** Epoch seconds. */
  now: number;
}

const STATUS_HEADLINE: Record<InstanceResult['status'], string> = {
  Success: 'answered',
  Failed: 'health check failed',
  TimedOut: 'health check timed out',
  Cancelled: 'health check cancelled',
  Undeliverable: 'unreachable (SSM agent offline?)',
  InvalidInstance: 'not managed by SSM',
  Terminated: 'instance terminated',
};

/** One row of the matrix: an instance that did not answer is a critical row, never a crash or a gap. */
export function gradeInstance(input: InstanceInput): HealthInstanceRow {
  const { result } = input;
  const base = { tier: input.tier, instanceId: result.instanceId, name: input.name, status: result.status, durationMs: result.durationMs, detail: result.detail };
  if (result.status !== 'Success') {
    const headline = result.status === 'Failed' && result.exitCode !== null ? `health check failed (exit ${result.exitCode})` : STATUS_HEADLINE[result.status];
    return { ...base, grade: 'critical', readings: null, checks: [{ id: 'reachable', grade: 'critical', headline, value: result.status, detail: result.detail }] };
  }
  const parsed = parseHealthReadings(result.stdout);
  if (!parsed.ok) {
    return { ...base, grade: 'critical', readings: null, checks: [{ id: 'output', grade: 'critical', headline: 'unreadable health output', value: 'no JSON', detail: parsed.error }] };
  }
  const checks = gradeReadings(parsed.readings, input.thresholds, input.expect, input.now);
  return { ...base, grade: worstGrade(checks), readings: parsed.readings, checks };
}

export function sortChecks(checks: HealthCheck[]): HealthCheck[] {
  return [...checks].sort((a, b) => RANK[b.grade] - RANK[a.grade]);
}

// --- formatting shared with the summary and the table

export function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 100 || i === 0 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}

export function duration(s: number): string {
  if (s < 60) return `${Math.round(s)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}

function ms(v: number): string {
  return v >= 1000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`;
}

function seconds(v: number): string {
  const a = Math.abs(v);
  return a >= 1 ? `${a.toFixed(1)} s` : `${Math.round(a * 1000)} ms`;
}
