import { readdirSync, readFileSync } from 'node:fs';

/**
 * Pids still alive (not zombies) in a process group, from /proc. `kill(-pgid, 0)` alone is not enough: an orphaned
 * child that was killed stays a zombie until init reaps it, and kill() still finds it.
 */
export function liveProcessesInGroup(pgid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // Fields after the parenthesised command name: state ppid pgrp ...
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(rest[2]) === pgid && rest[0] !== 'Z' && rest[0] !== 'X') out.push(Number(entry));
  }
  return out;
}
