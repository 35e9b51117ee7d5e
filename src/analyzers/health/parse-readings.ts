import { z } from 'zod';
import type { HostReadings } from '../../core/kinds/health.js';
import { maskText } from '../../core/secrets.js';

/**
 * Parses Medic-HealthCheck's stdout. Lenient per field: a probe that printed something odd becomes null (and a
 * note) instead of failing the whole instance, because one broken reading must not hide the others.
 */

const num = z.number().finite().nullable().catch(null);
const str = z.string().nullable().catch(null);

const Readings = z.object({
  instanceId: z.string().catch(''),
  hostname: z.string().catch(''),
  os: str.optional().transform((v) => v ?? null),
  collectedAt: num.optional().transform((v) => v ?? null),
  uptimeSeconds: num,
  load: z.object({ one: num, five: num, fifteen: num, cores: num }).nullable().catch(null),
  memory: z
    .object({ source: z.string().catch('free'), totalBytes: num, usedBytes: num, freeBytes: num, availableBytes: num, swapTotalBytes: num, swapUsedBytes: num })
    .nullable()
    .catch(null),
  disks: z.array(z.object({ filesystem: z.string(), mount: z.string(), fsType: str.optional().transform((v) => v ?? null), sizeKb: num, usedKb: num, availableKb: num, usedPercent: num })).nullable().catch(null),
  inodes: z.array(z.object({ filesystem: z.string(), mount: z.string(), fsType: str.optional().transform((v) => v ?? null), inodes: num, used: num, free: num, usedPercent: num })).nullable().catch(null),
  jvm: z
    .object({
      found: z.boolean(),
      via: z.enum(['process', 'container']).catch('process'),
      pid: num,
      uptimeSeconds: num,
      xmx: str,
      rssKb: num,
      user: str,
      cwd: str,
      command: str,
    })
    .nullable()
    .catch(null),
  health: z.object({ url: z.string(), httpStatus: num, latencyMs: num, curlExit: num }).nullable().catch(null),
  ports: z.array(z.number().int()).nullable().catch(null),
  hsErr: z.array(z.object({ path: z.string(), mtime: num })).catch([]),
  oom: z
    .object({ kills: z.union([z.number().int().nonnegative(), z.literal('unknown')]), window: z.enum(['24h', 'boot']).nullable().catch(null), source: str, last: str })
    .catch({ kills: 'unknown' as const, window: null, source: null, last: null }),
  clock: z.object({ offsetSeconds: num, source: str, synchronized: z.boolean().nullable().catch(null) }).catch({ offsetSeconds: null, source: null, synchronized: null }),
  notes: z.array(z.string()).catch([]),
});

export type ParsedReadings = { ok: true; readings: HostReadings } | { ok: false; error: string };

export function parseHealthReadings(stdout: string): ParsedReadings {
  const text = stdout.trim();
  const start = text.lastIndexOf('\n{');
  // The document prints one line; anything before it (a login banner, a stray echo) is skipped.
  const json = start >= 0 ? text.slice(start + 1) : text;
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (e) {
    return { ok: false, error: `the health check printed no readable JSON (${e instanceof Error ? e.message : String(e)}): ${JSON.stringify(maskText(text.slice(0, 120)))}` };
  }
  const r = Readings.safeParse(raw);
  if (!r.success) return { ok: false, error: `the health check JSON has an unexpected shape: ${r.error.issues[0]?.message ?? 'invalid'}` };
  // The JVM's command line (up to 300 characters of /proc/<pid>/cmdline) may carry -Dx.password=…: it is masked
  // here, before the readings reach a card, the CSV or the job result stored in Redis.
  const jvm = r.data.jvm;
  return { ok: true, readings: jvm?.command ? { ...r.data, jvm: { ...jvm, command: maskText(jvm.command) } } : r.data };
}

/** `-Xmx` values (`512m`, `4g`, `2048k`, `1073741824`) in bytes; null when unreadable. */
export function parseXmx(xmx: string | null): number | null {
  if (!xmx) return null;
  const m = /^(\d+)([kKmMgGtT]?)$/.exec(xmx.trim());
  if (!m) return null;
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  return Number(m[1]) * unit;
}
