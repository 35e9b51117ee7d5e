import type { Contention, Deadlock, DeadlockLock, ParsedDump, ThreadInfo } from './types.js';
import { isIdleOrIoFrame } from './stack-patterns.js';

/** lock id → index of the thread that owns it (monitor `- locked`, or `Locked ownable synchronizers`). */
export function lockOwners(dump: ParsedDump): Map<string, number> {
  const owners = new Map<string, number>();
  for (const t of dump.threads) {
    for (const l of t.locked) if (!owners.has(l.id)) owners.set(l.id, t.index);
    for (const l of t.ownable) if (!owners.has(l.id)) owners.set(l.id, t.index);
  }
  return owners;
}

/**
 * Deadlocks found in the wait-for graph itself (thread → lock it waits for → owner), so cycles through
 * ReentrantLocks count as much as monitor cycles, whether or not the JVM printed its own section. Each thread waits
 * for at most one lock, so the graph is functional and a colouring walk finds every cycle in linear time.
 */
export function findDeadlockCycles(dump: ParsedDump, owners = lockOwners(dump)): Deadlock[] {
  const threads = dump.threads;
  const next = new Int32Array(threads.length).fill(-1);
  for (const t of threads) {
    if (!t.waitingFor) continue;
    const o = owners.get(t.waitingFor.id);
    if (o !== undefined && o !== t.index) next[t.index] = o;
  }
  const colour = new Uint8Array(threads.length); // 0 new, 1 on the current walk, 2 done
  const cycles: Deadlock[] = [];
  for (let start = 0; start < threads.length; start++) {
    if (colour[start] !== 0) continue;
    const path: number[] = [];
    let v = start;
    while (v >= 0 && colour[v] === 0) {
      colour[v] = 1;
      path.push(v);
      v = next[v];
    }
    if (v >= 0 && colour[v] === 1) {
      const cycle = path.slice(path.indexOf(v));
      cycles.push(describeCycle(threads, cycle, next));
    }
    for (const p of path) colour[p] = 2;
  }
  return cycles;
}

function describeCycle(threads: ThreadInfo[], cycle: number[], next: Int32Array): Deadlock {
  // Start at the lowest index so the same cycle reads the same way in every dump.
  const lowest = cycle.indexOf(Math.min(...cycle));
  const ordered = [...cycle.slice(lowest), ...cycle.slice(0, lowest)];
  const locks: DeadlockLock[] = ordered.map((i) => {
    const t = threads[i];
    const w = t.waitingFor!;
    return { lock: w.id, type: w.type, kind: w.kind, waiter: t.name, heldBy: threads[next[i]].name };
  });
  return { threads: ordered.map((i) => threads[i].name), locks, source: 'lock-graph' };
}

/** Locks that at least one thread waits for, most waited-for first, with what the holder is doing. */
export function findContention(dump: ParsedDump, owners = lockOwners(dump), holderFrames = 6): Contention[] {
  const byLock = new Map<string, ThreadInfo[]>();
  for (const t of dump.threads) {
    if (!t.waitingFor) continue;
    const list = byLock.get(t.waitingFor.id);
    if (list) list.push(t);
    else byLock.set(t.waitingFor.id, [t]);
  }
  const out: Contention[] = [];
  for (const [id, waiters] of byLock) {
    const w = waiters[0].waitingFor!;
    const ownerIndex = owners.get(id);
    const holder = ownerIndex === undefined ? undefined : dump.threads[ownerIndex];
    // An unowned latch or semaphore is not a lock anyone holds; an unowned ReentrantLock means the dump lacks -l.
    if (!holder && w.kind === 'synchronizer' && !/Reentrant|ReadWriteLock|StampedLock/.test(w.type)) continue;
    const entry: Contention = {
      lock: id,
      type: w.type,
      kind: w.kind,
      holder: holder ? holder.name : null,
      holderFrames: holder ? holder.frames.slice(0, holderFrames) : [],
      holderIdle: holder ? holderIsIdle(holder) : false,
      waiters: waiters.length,
      waiterNames: waiters.slice(0, 10).map((t) => t.name),
    };
    if (holder) entry.holderState = holder.stateDetail ? `${holder.state} (${holder.stateDetail})` : holder.state;
    out.push(entry);
  }
  return out.sort((a, b) => b.waiters - a.waiters || (a.holder === null ? 1 : 0) - (b.holder === null ? 1 : 0) || a.lock.localeCompare(b.lock));
}

/** Sleeping, waiting or in I/O while holding a lock: the classic "traffic jam". */
function holderIsIdle(t: ThreadInfo): boolean {
  if (t.state === 'TIMED_WAITING' || t.state === 'WAITING') return true;
  return t.frames.length > 0 && isIdleOrIoFrame(t.frames[0]);
}
