import type { JvmThreadReport } from '../src/core/kinds/jvm.js';
import {
  adaptiveCard,
  clip,
  facts,
  fallbackText,
  heading,
  mono,
  plain,
  severityLine,
  text,
  title,
  WEBEX_MAX_CARD_BYTES,
  type CardElement,
  type CardMessage,
} from './card-kit.js';

/** What the card reads: the thread report as it travels in a `jvm.threads` result (see src/core/kinds/jvm.ts). */
export type ThreadCardReport = JvmThreadReport;
type Contention = JvmThreadReport['contention'][number];

export interface ThreadCardMeta {
  env?: string;
  target?: string;
}

/** How much of each section a card shows; shrunk step by step until the card fits Webex's budget. */
interface Limits {
  findings: number;
  deadlocks: number;
  frames: number;
  groups: number;
  line: number;
}

const STEPS: Limits[] = [
  { findings: 8, deadlocks: 3, frames: 5, groups: 3, line: 240 },
  { findings: 6, deadlocks: 2, frames: 3, groups: 2, line: 160 },
  { findings: 4, deadlocks: 1, frames: 2, groups: 1, line: 120 },
  { findings: 3, deadlocks: 1, frames: 1, groups: 0, line: 80 },
];

// Room left for the message envelope Webex wraps around the card.
const CARD_BUDGET = WEBEX_MAX_CARD_BYTES - 1_000;

/**
 * The result card of `jvm threads`: findings first (worst first), then the evidence: counts by state, each deadlock
 * cycle, the most contended lock with what its holder is doing, and the largest identical-stack groups. The full
 * report and raw dumps travel as attachments, so the card only has to point at what matters.
 */
export function threadAnalysisCard(report: ThreadCardReport, meta: ThreadCardMeta = {}): CardMessage {
  let body: CardElement[] = [];
  for (const limits of STEPS) {
    body = buildBody(report, meta, limits);
    if (Buffer.byteLength(JSON.stringify(adaptiveCard(body))) <= CARD_BUDGET) break;
  }
  return { card: adaptiveCard(body), text: fallbackText(summaryText(report, meta)) };
}

function where(meta: ThreadCardMeta): string {
  return [meta.env, meta.target].filter(Boolean).map((s) => plain(String(s))).join(' · ');
}

function buildBody(r: ThreadCardReport, meta: ThreadCardMeta, l: Limits): CardElement[] {
  const body: CardElement[] = [];
  const dumps = r.dumps.length > 1 ? `, last of ${r.dumps.length} dumps` : '';
  const sub = [where(meta), `${r.threads} threads${dumps}`].filter(Boolean).join(' · ');
  body.push(...title('Thread dump analysis', sub));

  body.push(heading('Findings'));
  for (const f of r.findings.slice(0, l.findings)) body.push(severityLine(f.severity, plain(clip(f.title, l.line))));
  if (r.findings.length > l.findings) body.push(text(`…and ${r.findings.length - l.findings} more in the attached report`, { isSubtle: true }));

  const states = Object.entries(r.states).sort((a, b) => b[1] - a[1]);
  const pairs: Array<[string, string]> = states.map(([s, n]) => [s, String(n)]);
  pairs.push(['daemon', String(r.daemon)]);
  if (r.virtual > 0) pairs.push(['virtual', String(r.virtual)]);
  body.push(heading('Threads by state'), facts(pairs));

  if (r.deadlocks.length > 0 && l.deadlocks > 0) {
    body.push(heading(`Deadlocks (${r.deadlocks.length})`));
    for (const d of r.deadlocks.slice(0, l.deadlocks)) {
      const cycle = `${d.threads.map((n) => `"${n}"`).join(' → ')} → "${d.threads[0]}"`;
      body.push(text(plain(clip(cycle, l.line * 2)), { weight: 'Bolder', color: 'Attention' }));
      const lines = d.locks.map((k) => `${k.waiter} waits for <${k.lock}>${k.type ? ` (${shortType(k.type)})` : ''} held by ${k.heldBy}`);
      body.push(mono(plain(clip(lines.join('\n'), l.line * 3))));
    }
  }

  const c = mostContended(r);
  if (c) {
    body.push(heading('Most contended lock'));
    const holder = c.holder ? `held by "${c.holder}"${c.holderState ? ` (${c.holderState})` : ''}` : 'owner unknown (dump without -l?)';
    body.push(text(plain(clip(`<${c.lock}>${c.type ? ` ${shortType(c.type)}` : ''}: ${c.waiters} waiting, ${holder}`, l.line))));
    if (c.holderFrames.length > 0) body.push(mono(framesText(c.holderFrames, l)));
  }

  body.push(...cpuSection(r, meta, l));

  if (l.groups > 0 && r.groups.length > 0) {
    body.push(heading('Largest identical stacks'));
    for (const g of r.groups.slice(0, l.groups)) {
      body.push(text(`${g.count} × ${g.state}`, { weight: 'Bolder', spacing: 'Small' }));
      body.push(mono(framesText(g.frames, l)));
    }
  }

  if (r.warnings.length > 0) body.push(text(plain(clip(`${r.warnings.length} warning(s): ${r.warnings[0]}`, l.line)), { isSubtle: true, size: 'Small' }));
  return body;
}

/**
 * The thread that used the most CPU while the dumps were taken, as measured; never a total since a thread started
 * (that names the startup thread, DestroyJavaVM, on an idle JVM). Without a measure it says CPU is unknown.
 */
function cpuSection(r: ThreadCardReport, meta: ThreadCardMeta, l: Limits): CardElement[] {
  const cpu = r.cpu;
  const hot = r.hotThreads[0];
  if (!cpu || cpu.measured === 'none') {
    // A code span shows env and target as typed; only chat tokens go in it.
    const token = (v?: string): boolean => !!v && /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(v);
    const again = token(meta.env) && token(meta.target) ? ` \`jvm threads ${meta.env} ${meta.target} 3\` takes three, 5 s apart.` : ' Take two or more dumps a few seconds apart.';
    const why = cpu?.measured === 'none' ? cpu.reason : 'not measured';
    return [heading('CPU during the dumps'), text(clip(`Unknown: ${plain(why)}.${again}`, l.line * 2), { isSubtle: true })];
  }
  const over = cpu.measured === 'top-H' ? 'per top -H at the dump' : `between the ${cpu.measured === 'cpu-delta' ? 'dumps' : 'top -H samples'}${'windowMs' in cpu && cpu.windowMs ? ` (${(cpu.windowMs / 1000).toFixed(1)} s)` : ''}`;
  if (!hot) return [heading('CPU during the dumps'), text(`No thread used CPU ${over}.`, { isSubtle: true })];
  const share = hot.cpuPercent !== undefined ? `${hot.cpuPercent}% of a core` : '';
  const used = hot.source === 'top-H' ? share : `${Math.round(hot.cpuMs)} ms CPU${share ? ` (${share})` : ''}`;
  const out: CardElement[] = [heading('Hottest thread'), text(clip(plain(`"${hot.name}": ${used} ${over}`), l.line))];
  if (hot.frames.length > 0) out.push(mono(framesText(hot.frames, l)));
  return out;
}

/** Prefer a lock several threads queue on that is not already part of a reported deadlock. */
function mostContended(r: ThreadCardReport): Contention | undefined {
  const inDeadlock = new Set(r.deadlocks.flatMap((d) => d.locks.map((k) => k.lock)));
  return r.contention.find((c) => c.waiters >= 2 && !inDeadlock.has(c.lock)) ?? r.contention.find((c) => !inDeadlock.has(c.lock));
}

function framesText(frames: string[], l: Limits): string {
  // Module/version prefixes (`java.base@17.0.15/`) add width without telling an SRE anything.
  return plain(frames.slice(0, l.frames).map((f) => `at ${clip(f.replace(/\((?:[\w.]+@[\w.+-]+\/)/, '('), l.line)}`).join('\n'));
}

function shortType(type: string): string {
  const dot = type.lastIndexOf('.');
  return dot >= 0 ? type.slice(dot + 1) : type;
}

function summaryText(r: ThreadCardReport, meta: ThreadCardMeta): string {
  const head = `Thread dump analysis${meta.env || meta.target ? ` for ${[meta.env, meta.target].filter(Boolean).join(' ')}` : ''}: ${r.threads} threads`;
  const lines = r.findings.slice(0, 10).map((f) => `- ${f.severity.toUpperCase()}: ${f.title}`);
  return [head, ...lines].join('\n');
}
