import { z } from 'zod';
import { DISK_ACTIONS, type DeletedOpenFile, type DiskActionOutcome, type DiskConsumer, type DiskDocker, type DiskMount, type DiskPlanItem, type DiskScan } from '../../core/kinds/disk.js';

/**
 * Medic-Disk's stdout: one JSON record a line, `{"t": <type>, ...}`. Lines that are not records (a tool's stray
 * output) are skipped; a record that does not fit its schema is reported in `problems`, never guessed at.
 */

const num = z.number().finite();
const nnum = num.nullable();
const action = z.enum(DISK_ACTIONS);

const MountRec = z.object({ t: z.literal('mount'), phase: z.enum(['before', 'after']), mount: z.string(), filesystem: z.string(), fsType: z.string().nullable(), sizeBytes: num, usedBytes: num, availableBytes: num, inodes: nnum, inodesUsed: nnum, inodesFree: nnum });
const TopRec = z.object({ t: z.literal('top'), kind: z.enum(['dir', 'file', 'rot', 'dump', 'core']), mount: z.string(), path: z.string(), bytes: num, mtime: num.optional(), uploaded: z.boolean().optional() });
const Count = z.object({ files: num, bytes: num });
const TotalsRec = z.object({ t: z.literal('scan-totals'), mount: z.string(), files: num, bytes: num, rotated: Count, dumps: Count, cores: Count });
const ScanRec = z.object({ t: z.literal('scan'), mount: z.string(), complete: z.boolean(), seconds: nnum.optional(), skipped: z.boolean().optional() });
const OpenRec = z.object({ t: z.literal('open'), pid: num, fd: num, process: z.string(), path: z.string(), mount: z.string(), bytes: num, underLogPaths: z.boolean() });
const PlanRec = z.object({ t: z.literal('plan'), action, path: z.string(), mount: z.string(), bytes: num, files: num, exact: z.boolean(), pid: num.optional(), fd: num.optional(), process: z.string().optional() });
const AppliedRec = z.object({ t: z.literal('applied'), action, path: z.string(), mount: z.string(), bytes: num, files: num, failures: num, error: z.string().nullable() });
const GrewRec = z.object({ t: z.literal('grew'), action, plannedBytes: num, approvedBytes: num });
const DockerRec = z.object({ t: z.literal('docker'), reachable: z.boolean(), type: z.string().optional(), count: nnum.optional(), active: nnum.optional(), bytes: nnum.optional(), reclaimableBytes: nnum.optional() });
const Rec = z.discriminatedUnion('t', [
  z.object({ t: z.literal('host'), instanceId: z.string(), mode: z.string(), collectedAt: num }),
  MountRec,
  TopRec,
  TotalsRec,
  ScanRec,
  OpenRec,
  PlanRec,
  AppliedRec,
  GrewRec,
  DockerRec,
  z.object({ t: z.literal('journal'), bytes: nnum }),
  z.object({ t: z.literal('note'), text: z.string() }),
  z.object({ t: z.literal('error'), message: z.string() }),
  z.object({ t: z.literal('end') }),
]);

export interface DiskOutput {
  collectedAt: number | null;
  before: DiskMount[];
  after: DiskMount[];
  scans: DiskScan[];
  consumers: DiskConsumer[];
  deletedOpen: DeletedOpenFile[];
  journalBytes: number | null;
  docker: DiskDocker;
  plan: DiskPlanItem[];
  applied: DiskActionOutcome[];
  grew: Array<{ action: (typeof DISK_ACTIONS)[number]; plannedBytes: number; approvedBytes: number }>;
  notes: string[];
  /** The document's own refusal (e.g. the mount does not exist). */
  error: string | null;
  /** The `end` record arrived: the output is whole. */
  ended: boolean;
  problems: string[];
}

export function parseDiskOutput(stdout: string): DiskOutput {
  const out: DiskOutput = { collectedAt: null, before: [], after: [], scans: [], consumers: [], deletedOpen: [], journalBytes: null, docker: { reachable: false, types: [] }, plan: [], applied: [], grew: [], notes: [], error: null, ended: false, problems: [] };
  const totals = new Map<string, z.infer<typeof TotalsRec>>();
  const scans: Array<z.infer<typeof ScanRec>> = [];
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{"t":')) continue;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      out.problems.push(`not JSON: ${line.slice(0, 120)}`);
      continue;
    }
    const r = Rec.safeParse(raw);
    if (!r.success) {
      out.problems.push(`unexpected record: ${line.slice(0, 120)}`);
      continue;
    }
    const rec = r.data;
    switch (rec.t) {
      case 'host':
        out.collectedAt = rec.collectedAt * 1000;
        break;
      case 'mount': {
        const { t: _t, phase, ...m } = rec;
        (phase === 'before' ? out.before : out.after).push(m);
        break;
      }
      case 'top': {
        const { t: _t, ...c } = rec;
        out.consumers.push(c);
        break;
      }
      case 'scan-totals':
        totals.set(rec.mount, rec);
        break;
      case 'scan':
        scans.push(rec);
        break;
      case 'open': {
        const { t: _t, ...o } = rec;
        out.deletedOpen.push(o);
        break;
      }
      case 'plan': {
        const { t: _t, ...p } = rec;
        out.plan.push(p);
        break;
      }
      case 'applied': {
        const { t: _t, ...a } = rec;
        out.applied.push(a);
        break;
      }
      case 'grew':
        out.grew.push({ action: rec.action, plannedBytes: rec.plannedBytes, approvedBytes: rec.approvedBytes });
        break;
      case 'docker':
        if (rec.reachable) {
          out.docker.reachable = true;
          if (rec.type) out.docker.types.push({ type: rec.type, count: rec.count ?? null, active: rec.active ?? null, bytes: rec.bytes ?? null, reclaimableBytes: rec.reclaimableBytes ?? null });
        }
        break;
      case 'journal':
        out.journalBytes = rec.bytes;
        break;
      case 'note':
        out.notes.push(rec.text);
        break;
      case 'error':
        out.error = rec.message;
        break;
      case 'end':
        out.ended = true;
        break;
    }
  }
  for (const s of scans) {
    const t = totals.get(s.mount);
    out.scans.push({
      mount: s.mount,
      complete: s.complete && !s.skipped,
      seconds: s.seconds ?? null,
      files: t?.files ?? 0,
      bytes: t?.bytes ?? 0,
      rotated: t?.rotated ?? { files: 0, bytes: 0 },
      dumps: t?.dumps ?? { files: 0, bytes: 0 },
      cores: t?.cores ?? { files: 0, bytes: 0 },
    });
  }
  // Biggest first within each list.
  const order = ['dir', 'file', 'rot', 'dump', 'core'];
  out.consumers.sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind) || b.bytes - a.bytes);
  out.deletedOpen.sort((a, b) => b.bytes - a.bytes);
  return out;
}

/** Bytes per action, summed over its directories. */
export function bytesByAction<T extends { action: (typeof DISK_ACTIONS)[number]; bytes: number }>(items: readonly T[]): Map<(typeof DISK_ACTIONS)[number], number> {
  const m = new Map<(typeof DISK_ACTIONS)[number], number>();
  for (const i of items) m.set(i.action, (m.get(i.action) ?? 0) + i.bytes);
  return m;
}
