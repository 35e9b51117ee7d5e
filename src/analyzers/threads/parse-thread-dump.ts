import type { JvmDeadlock, LockKind, LockRef, ParsedDump, ParseResult, TextInput, ThreadInfo } from './types.js';

/**
 * Parses HotSpot thread dumps (`jstack [-l]`, `jcmd Thread.print [-l]`, SIGQUIT output in a log, JDK 1.5 to 25) and
 * the `jcmd Thread.dump_to_file` text and JSON formats (JDK 21+). Line-oriented and forgiving: anything that is not
 * part of a dump is skipped, and what could not be understood becomes a warning instead of an exception, because the
 * dumps we get are pasted from logs, cut by chat limits and interleaved with application output.
 */
export function parseThreadDumps(input: TextInput): ParseResult {
  const text = input.text.charCodeAt(0) === 0xfeff ? input.text.slice(1) : input.text;
  const head = text.slice(0, 4096).trimStart();
  if (head.startsWith('{') && head.includes('"threadDump"')) return parseJsonDump(input.name, text);
  const hotspot = parseHotspot(input.name, text);
  if (hotspot.dumps.length > 0) return hotspot;
  const dtf = parseDumpToFileText(input.name, text);
  if (dtf.dumps.length > 0) return dtf;
  return { dumps: [], warnings: [] };
}

// A HotSpot header names the thread in quotes and always carries `tid=` (MANIFEST: "headers").
const HEADER_NUMBER = /(?:^|\s)#(\d+)(?=\s|$)/;
const HEADER_DAEMON = /(?:^|\s)daemon(?=\s|$)/;
const HEADER_CPU = /\bcpu=([\d.]+)ms/;
const HEADER_ELAPSED = /\belapsed=([\d.]+)s/;
const HEADER_TID = /\btid=(?:0x)?([0-9a-fA-F]+)/;
const HEADER_NID = /\bnid=(0x[0-9a-fA-F]+|\d+)/;
const HEADER_TAIL_NID = /\bnid=\S+(?:\s+lwp_id=\S+)?\s*([^[]*)/;
const HEADER_TAIL_TID = /\btid=\S+\s*([^[]*)/;
const LOCK_IN_LINE = /<(?:0x)?([0-9a-fA-F]+)>(?:.*?\(a ([^)]+)\))?/;
const TIMESTAMP = /^\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d/;
const NOT_A_LOCK = /CountDownLatch|Semaphore|Phaser|Exchanger/;
const DEADLOCK_HEADER = /^Found one Java-level deadlock/;
const DEADLOCK_FOOTER = /^Found (\d+) deadlocks?\./;

/** Mutable per-thread scratch used while the body lines of one thread are read. */
interface ThreadDraft {
  info: ThreadInfo;
  headerState: string;
  locked: LockRef[];
  waitingToLock?: LockRef;
  relock?: LockRef;
  parking?: LockRef;
  mounted: string[];
  inMounted: boolean;
  inOwnable: boolean;
}

interface DumpDraft {
  dump: ParsedDump;
  tids: Set<string>;
  /** Saw the JVM's last thread (`VM Periodic Task Thread`) or an end line (`JNI global refs`, `Heap`). */
  complete: boolean;
  deadlockOpen: boolean;
}

export function normaliseLockId(hex: string): string {
  return `0x${hex.toLowerCase()}`;
}

function lockFrom(line: string): LockRef | undefined {
  const m = LOCK_IN_LINE.exec(line);
  if (!m) return undefined;
  return { id: normaliseLockId(m[1]), type: m[2] ?? '' };
}

function parseNid(raw: string | undefined): number | undefined {
  if (!raw) return undefined;
  const n = raw.startsWith('0x') ? Number.parseInt(raw.slice(2), 16) : Number.parseInt(raw, 10);
  return Number.isFinite(n) ? n : undefined;
}

/** Maps the header's free text (all JDK 1.5 gives us) to a Thread.State. */
function stateFromHeader(tail: string): string {
  const t = tail.trim().toLowerCase();
  if (t.startsWith('runnable')) return 'RUNNABLE';
  if (t.startsWith('waiting for monitor entry')) return 'BLOCKED';
  if (t.startsWith('in object.wait')) return 'WAITING';
  if (t.startsWith('waiting on condition')) return 'WAITING';
  if (t.startsWith('sleeping')) return 'TIMED_WAITING';
  return '';
}

function parseHeader(line: string, index: number): { info: ThreadInfo; headerState: string } | undefined {
  const close = line.lastIndexOf('"');
  if (close <= 0) return undefined;
  const name = line.slice(1, close);
  const rest = line.slice(close + 1);
  const tid = HEADER_TID.exec(rest);
  if (!tid) return undefined;
  const num = HEADER_NUMBER.exec(rest);
  const cpu = HEADER_CPU.exec(rest);
  const elapsed = HEADER_ELAPSED.exec(rest);
  const nid = HEADER_NID.exec(rest);
  const tail = HEADER_TAIL_NID.exec(rest) ?? HEADER_TAIL_TID.exec(rest);
  const info: ThreadInfo = {
    index,
    name,
    daemon: HEADER_DAEMON.test(rest),
    virtual: false,
    tid: normaliseLockId(tid[1]),
    state: 'UNKNOWN',
    stateSource: 'none',
    frames: [],
    locked: [],
    ownable: [],
  };
  if (num) info.number = Number(num[1]);
  const nidValue = parseNid(nid?.[1]);
  if (nidValue !== undefined) info.nid = nidValue;
  if (cpu) info.cpuMs = Number(cpu[1]);
  if (elapsed) info.elapsedMs = Number(elapsed[1]) * 1000;
  return { info, headerState: stateFromHeader(tail?.[1] ?? '') };
}

function finishThread(d: ThreadDraft): ThreadInfo {
  const t = d.info;
  if (t.stateSource === 'none') {
    const s = d.headerState || (t.carrying ? 'RUNNABLE' : '');
    if (s) {
      t.state = s;
      t.stateSource = 'header';
    }
  }
  // Object.wait() releases the monitor although the caller's frame still prints `- locked` for it.
  const released = t.waitingOn?.id;
  const seen = new Set<string>();
  for (const l of d.locked) {
    if (l.id === released || seen.has(l.id)) continue;
    seen.add(l.id);
    t.locked.push(l);
  }
  let kind: LockKind | undefined;
  let lock: LockRef | undefined;
  if (d.waitingToLock) [kind, lock] = ['monitor', d.waitingToLock];
  else if (d.relock && t.state === 'BLOCKED') [kind, lock] = ['monitor', d.relock];
  // Parking on a Condition is waiting for a signal, not for a lock; only AQS `...Sync` objects can be owned, and
  // latches and semaphores, though AQS too, have no owner to blame.
  else if (d.parking && /Sync$/.test(d.parking.type) && !NOT_A_LOCK.test(d.parking.type)) [kind, lock] = ['synchronizer', d.parking];
  if (kind && lock) t.waitingFor = { ...lock, kind };
  if (d.mounted.length > 0) t.frames = [...d.mounted, ...t.frames];
  return t;
}

function newDump(source: string, format: ParsedDump['format']): DumpDraft {
  return {
    dump: { source, format, threads: [], jvmDeadlocks: [], hasOwnableInfo: false },
    tids: new Set(),
    complete: false,
    deadlockOpen: false,
  };
}

function parseHotspot(name: string, text: string): ParseResult {
  const drafts: DumpDraft[] = [];
  const warnings: string[] = [];
  let dump: DumpDraft | undefined;
  let thread: ThreadDraft | undefined;
  let lastTimestamp: string | undefined;
  let pendingJvm: string | undefined;
  let deadlock: (JvmDeadlock & { phase: 'cycle' | 'stacks' }) | undefined;
  let foreign = 0;
  let firstForeign = '';
  let orphanFrames = 0;
  // Thousands of threads share the same frames: one string per distinct frame keeps memory and GC down.
  const frameTable = new Map<string, string>();
  const intern = (f: string): string => {
    const known = frameTable.get(f);
    if (known !== undefined) return known;
    frameTable.set(f, f);
    return f;
  };

  const closeThread = (): void => {
    if (thread && dump) dump.dump.threads.push(finishThread(thread));
    thread = undefined;
  };
  const closeDeadlock = (): void => {
    if (deadlock && dump && deadlock.threads.length > 0) dump.dump.jvmDeadlocks.push({ threads: deadlock.threads, locks: deadlock.locks });
    deadlock = undefined;
  };
  const startDump = (): DumpDraft => {
    closeThread();
    closeDeadlock();
    const d = newDump(`${name}#${drafts.length + 1}`, 'hotspot');
    if (lastTimestamp) d.dump.timestamp = lastTimestamp;
    if (pendingJvm) d.dump.jvm = pendingJvm;
    pendingJvm = undefined;
    lastTimestamp = undefined;
    drafts.push(d);
    return d;
  };

  let pos = 0;
  const len = text.length;
  while (pos < len) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = len;
    let line = text.slice(pos, end);
    pos = end + 1;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.length === 0) continue;
    const c = line.charCodeAt(0);

    if (c === 34 /* " */) {
      if (line.includes('tid=')) {
        const parsed = parseHeader(line, 0);
        if (parsed) {
          closeThread();
          closeDeadlock();
          // A repeated tid without a "Full thread dump" line means a second dump pasted right after the first.
          if (!dump || (parsed.info.tid && dump.tids.has(parsed.info.tid)) || dump.complete) dump = startDump();
          parsed.info.index = dump.dump.threads.length;
          if (parsed.info.tid) dump.tids.add(parsed.info.tid);
          thread = { info: parsed.info, headerState: parsed.headerState, locked: [], mounted: [], inMounted: false, inOwnable: false };
          continue;
        }
      }
      if (deadlock && deadlock.phase === 'cycle') {
        const m = /^"(.*)":\s*$/.exec(line);
        if (m) deadlock.threads.push(m[1]);
        continue;
      }
      if (deadlock) continue;
      if (thread) {
        foreign++;
        firstForeign ||= line;
      }
      continue;
    }

    if (c === 9 /* \t */ || c === 32 /* space */) {
      let i = 1;
      while (i < line.length && (line.charCodeAt(i) === 9 || line.charCodeAt(i) === 32)) i++;
      // Frames are most lines of a dump: take them straight from the line, without an intermediate trim.
      if (thread && line.startsWith('at ', i)) {
        (thread.inMounted ? thread.mounted : thread.info.frames).push(intern(line.slice(i + 3).trimEnd()));
        continue;
      }
      const t = line.slice(i).trimEnd();
      if (thread) {
        if (t.startsWith('- ')) {
          if (thread.inOwnable) {
            const l = lockFrom(t);
            if (l) thread.info.ownable.push(l);
          } else if (t.startsWith('- locked')) {
            const l = lockFrom(t);
            if (l) thread.locked.push(l);
          } else if (t.startsWith('- waiting to lock')) {
            thread.waitingToLock = lockFrom(t);
          } else if (t.startsWith('- waiting on')) {
            const l = lockFrom(t);
            if (l) thread.info.waitingOn = l;
          } else if (t.startsWith('- parking to wait for')) {
            thread.parking = lockFrom(t);
          } else if (t.startsWith('- waiting to re-lock')) {
            thread.relock = lockFrom(t);
          } else if (!t.startsWith('- eliminated') && !t.startsWith('- None')) {
            foreign++;
            firstForeign ||= line;
          }
        } else if (t.startsWith('java.lang.Thread.State:')) {
          const m = /^java\.lang\.Thread\.State:\s*([A-Z_]+)(?:\s*\((.*)\))?/.exec(t);
          if (m) {
            thread.info.state = m[1];
            if (m[2]) thread.info.stateDetail = m[2];
            thread.info.stateSource = 'state-line';
          }
        } else if (t.startsWith('Locked ownable synchronizers')) {
          thread.inOwnable = true;
          if (dump) dump.dump.hasOwnableInfo = true;
        } else if (t.startsWith('Carrying virtual thread')) {
          thread.info.carrying = t.slice('Carrying virtual thread'.length).trim();
        } else if (t.startsWith('Mounted virtual thread')) {
          thread.inMounted = true;
        } else if (!(t.startsWith('No compile task') || t.startsWith('Compiling:'))) {
          foreign++;
          firstForeign ||= line;
        }
      } else if (deadlock) {
        if (deadlock.phase === 'cycle') {
          const mon = /waiting to lock monitor .*?object (?:0x)?([0-9a-fA-F]+)/.exec(t);
          const syn = /waiting for ownable synchronizer (?:0x)?([0-9a-fA-F]+)/.exec(t);
          const hit = mon ?? syn;
          if (hit) deadlock.locks.push(normaliseLockId(hit[1]));
        }
      } else if (dump && !dump.complete && t.startsWith('at ')) {
        // Frames with no header above them: the header line was damaged.
        orphanFrames++;
      }
      continue;
    }

    // A line at column 0 that is not a thread header.
    if (line.startsWith('Full thread dump')) {
      pendingJvm = line.replace(/^Full thread dump\s*/, '').replace(/:\s*$/, '');
      if (!dump || dump.dump.threads.length > 0 || dump.complete) dump = startDump();
      else if (pendingJvm) {
        dump.dump.jvm = pendingJvm;
        pendingJvm = undefined;
      }
      continue;
    }
    if (DEADLOCK_HEADER.test(line)) {
      closeThread();
      closeDeadlock();
      if (!dump) dump = startDump();
      dump.deadlockOpen = true;
      deadlock = { threads: [], locks: [], phase: 'cycle' };
      continue;
    }
    if (deadlock && line.startsWith('Java stack information')) {
      deadlock.phase = 'stacks';
      continue;
    }
    if (DEADLOCK_FOOTER.test(line)) {
      closeDeadlock();
      if (dump) dump.deadlockOpen = false;
      continue;
    }
    if (deadlock && line.startsWith('=')) continue;
    if (line.startsWith('JNI global ref') || line === 'Heap') {
      closeThread();
      if (dump) dump.complete = true;
      continue;
    }
    if (TIMESTAMP.test(line)) lastTimestamp = line.trim();
    if (thread) {
      // Interleaved application output inside a thread block: skip it, the thread's next lines still belong to it.
      foreign++;
      firstForeign ||= line;
    }
  }
  closeThread();
  closeDeadlock();

  const dumps = drafts.filter((d) => d.dump.threads.length > 0 || d.dump.jvmDeadlocks.length > 0);
  for (const d of dumps) {
    const threads = d.dump.threads;
    // HotSpot always prints its own VM threads last, ending with "VM Periodic Task Thread".
    const sawLast = d.complete || threads.some((t) => t.name === 'VM Periodic Task Thread');
    if (!sawLast) {
      const last = threads[threads.length - 1];
      warnings.push(
        `${d.dump.source}: the dump looks truncated (it stops${last ? ` at thread "${last.name}"` : ''} before the JVM's own threads and closing lines); the last thread may be incomplete and later threads are missing`,
      );
    }
    if (d.deadlockOpen) warnings.push(`${d.dump.source}: the JVM's deadlock section is cut short (no "Found N deadlocks." line)`);
  }
  if (foreign > 0) {
    warnings.push(`${name}: skipped ${foreign} line(s) inside thread blocks that are not part of a thread dump (first: ${JSON.stringify(firstForeign.slice(0, 120))})`);
  }
  if (orphanFrames > 0) warnings.push(`${name}: ${orphanFrames} stack frame line(s) had no thread header above them (damaged header?) and were skipped`);
  return { dumps: dumps.map((d) => d.dump), warnings };
}

/** `jcmd <pid> Thread.dump_to_file <file>` plain text (JDK 21+): `#12 "name" [virtual]` then indented frames. */
function parseDumpToFileText(name: string, text: string): ParseResult {
  const dumps: ParsedDump[] = [];
  let dump: ParsedDump | undefined;
  let thread: ThreadInfo | undefined;
  let preamble: string[] = [];
  const lines = text.split(/\r?\n/);
  const header = /^#(\d+) "(.*)"(\s+virtual)?\s*$/;
  for (const line of lines) {
    const m = header.exec(line);
    if (m) {
      if (!dump || (preamble.length >= 2 && dump.threads.length > 0)) {
        dump = { source: `${name}#${dumps.length + 1}`, format: 'dump-to-file-text', threads: [], jvmDeadlocks: [], hasOwnableInfo: false };
        const ts = preamble.find((p) => TIMESTAMP.test(p));
        if (ts) dump.timestamp = ts;
        const ver = preamble.find((p) => /^\d+(\.\d+)*(-ea)?\+\d+/.test(p) || /^\d+(\.\d+)+/.test(p));
        if (ver) dump.jvm = ver;
        dumps.push(dump);
      }
      preamble = [];
      thread = {
        index: dump.threads.length,
        name: m[2],
        number: Number(m[1]),
        tid: `#${m[1]}`,
        daemon: false,
        virtual: Boolean(m[3]),
        state: 'UNKNOWN',
        stateSource: 'none',
        frames: [],
        locked: [],
        ownable: [],
      };
      dump.threads.push(thread);
      continue;
    }
    if (thread && /^\s+\S/.test(line)) {
      thread.frames.push(stripModule(line.trim()));
      continue;
    }
    const t = line.trim();
    if (t.length > 0) {
      thread = undefined;
      preamble.push(t);
    }
  }
  const warnings =
    dumps.length > 0
      ? [`${name}: the Thread.dump_to_file format carries no thread states or locks; states are UNKNOWN and lock analysis is not possible (use jcmd Thread.print -l for that)`]
      : [];
  return { dumps, warnings };
}

/** `java.base/java.lang.Object.wait0(Native Method)` → `java.lang.Object.wait0(Native Method)`, like jstack's frames. */
function stripModule(frame: string): string {
  const slash = frame.indexOf('/');
  const paren = frame.indexOf('(');
  return slash > 0 && (paren < 0 || slash < paren) ? frame.slice(slash + 1) : frame;
}

interface JsonThread {
  tid?: unknown;
  name?: unknown;
  stack?: unknown;
  virtual?: unknown;
  state?: unknown;
}

/** `jcmd <pid> Thread.dump_to_file -format=json` (JDK 21+). */
function parseJsonDump(name: string, text: string): ParseResult {
  const warnings: string[] = [];
  const dump: ParsedDump = { source: `${name}#1`, format: 'dump-to-file-json', threads: [], jvmDeadlocks: [], hasOwnableInfo: false };
  const add = (t: JsonThread, container: string): void => {
    const stack = Array.isArray(t.stack) ? t.stack.filter((s): s is string => typeof s === 'string') : [];
    const state = typeof t.state === 'string' && t.state ? t.state.toUpperCase() : 'UNKNOWN';
    const virtual =
      t.virtual === true ||
      t.virtual === 'true' ||
      /ThreadPerTaskExecutor/.test(container) ||
      stack.some((f) => f.includes('java.lang.VirtualThread.run'));
    dump.threads.push({
      index: dump.threads.length,
      name: typeof t.name === 'string' ? t.name : '',
      tid: `#${String(t.tid ?? dump.threads.length)}`,
      number: Number(t.tid) || undefined,
      daemon: false,
      virtual,
      state,
      stateSource: state === 'UNKNOWN' ? 'none' : 'json',
      frames: stack.map(stripModule),
      locked: [],
      ownable: [],
    });
  };
  try {
    const doc = JSON.parse(text) as { threadDump?: { time?: unknown; runtimeVersion?: unknown; threadContainers?: unknown } };
    const td = doc.threadDump ?? {};
    if (typeof td.time === 'string') dump.timestamp = td.time;
    if (typeof td.runtimeVersion === 'string') dump.jvm = td.runtimeVersion;
    const containers = Array.isArray(td.threadContainers) ? td.threadContainers : [];
    for (const c of containers as Array<{ container?: unknown; threads?: unknown }>) {
      const cname = typeof c?.container === 'string' ? c.container : '';
      if (Array.isArray(c?.threads)) for (const t of c.threads as JsonThread[]) if (t && typeof t === 'object') add(t, cname);
    }
  } catch {
    // Truncated JSON: recover every complete thread object we can still see.
    const obj = /\{\s*"tid"\s*:\s*"([^"]*)"\s*,\s*"name"\s*:\s*"((?:[^"\\]|\\.)*)"\s*,\s*"stack"\s*:\s*\[((?:\s*"(?:[^"\\]|\\.)*"\s*,?)*)\s*\]/g;
    for (const m of text.matchAll(obj)) {
      const frames = [...m[3].matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((f) => unescapeJson(f[1]));
      add({ tid: m[1], name: unescapeJson(m[2]), stack: frames }, '');
    }
    warnings.push(`${name}: not valid JSON (truncated?); recovered ${dump.threads.length} complete thread(s)`);
  }
  if (!dump.threads.some((t) => t.stateSource === 'json')) {
    warnings.push(`${name}: the JSON thread dump carries no thread states or locks; states are UNKNOWN and lock analysis is not possible`);
  }
  return { dumps: dump.threads.length > 0 ? [dump] : [], warnings };
}

function unescapeJson(s: string): string {
  try {
    return JSON.parse(`"${s}"`) as string;
  } catch {
    return s;
  }
}
