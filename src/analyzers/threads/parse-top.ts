/** One row of `top -H -b -n 1 -p <pid>`: with -H, PID is the OS thread id, which HotSpot prints as `nid`. */
export interface TopThreadRow {
  tid: number;
  cpuPercent: number;
  /** TIME+ in milliseconds (top prints `m:ss.hh`). */
  cpuMs: number;
  command: string;
}

/**
 * Reads `top -H -b` output. Columns are located by the header row, so user-configured column orders still work.
 * When the text holds several iterations (`-n 2`), later rows win: top's first iteration averages since start.
 */
export function parseTopThreads(text: string): TopThreadRow[] {
  const rows = new Map<number, TopThreadRow>();
  let cols: { pid: number; cpu: number; time: number; command: number } | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.length === 0) continue;
    const parts = line.split(/\s+/);
    if (parts.includes('PID') && parts.includes('%CPU')) {
      cols = {
        pid: parts.indexOf('PID'),
        cpu: parts.indexOf('%CPU'),
        time: parts.findIndex((p) => p.startsWith('TIME')),
        command: parts.indexOf('COMMAND'),
      };
      continue;
    }
    if (!cols || !/^\d/.test(parts[cols.pid] ?? '')) continue;
    const tid = Number(parts[cols.pid]);
    const cpu = Number((parts[cols.cpu] ?? '').replace(',', '.'));
    if (!Number.isInteger(tid) || !Number.isFinite(cpu)) continue;
    // COMMAND is normally last and may contain spaces (`GC Thread#0`); elsewhere it is one token.
    const lastColumn = Math.max(cols.pid, cols.cpu, cols.time, cols.command);
    const command = cols.command < 0 ? '' : cols.command === lastColumn ? parts.slice(cols.command).join(' ') : (parts[cols.command] ?? '');
    rows.set(tid, { tid, cpuPercent: cpu, cpuMs: cols.time >= 0 ? parseTopTime(parts[cols.time] ?? '') : 0, command });
  }
  return [...rows.values()];
}

/** `0:03.31` → 3310; `1:02:03` (hours when long-running) → 3,723,000. */
function parseTopTime(s: string): number {
  const m = /^(\d+):(\d+)(?:[.:](\d+))?$/.exec(s);
  if (!m) return 0;
  if (s.includes('.')) return (Number(m[1]) * 60 + Number(m[2])) * 1000 + Number(m[3] ?? 0) * 10;
  if (m[3] !== undefined) return (Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3])) * 1000;
  return (Number(m[1]) * 60 + Number(m[2])) * 1000;
}
