import type { HeapReport, PathStep } from '../src/core/kinds/heap-report.js';
import { adaptiveCard, clip, facts, fallbackText, heading, mono, plain, severityLine, table, text, title, type CardElement, type CardMessage } from './card-kit.js';
import { formatBytes } from '../src/core/format.js';

export interface HeapAnalysisMeta {
  env?: string;
  target?: string;
  dumpPath?: string;
  dumpBytes?: number;
}

/**
 * The max heap as far as the dump tells it: the -Xmx string when the heap holds one, else the JVM's own
 * `Runtime.maxMemory()` saved at start-up, else where to read it on the instance (the dump has no JVM flags).
 */
export function maxHeapText(jvm: HeapReport['jvm']): string {
  if (jvm.xmx) return `-Xmx${jvm.xmx}`;
  if (jvm.maxHeapBytes) return `${formatBytes(jvm.maxHeapBytes)} (the JVM's max heap, Runtime.maxMemory() at start-up; the -Xmx option itself is not in the dump)`;
  return 'not in the dump: on the instance, jcmd <pid> VM.flags shows MaxHeapSize (jcmd <pid> VM.command_line shows -Xmx)';
}

/** "Leak.CACHE → HashMap.table → …": root first, at most `max` steps, so a chat reader sees where it hangs. */
function shortPath(p: PathStep[], max = 4): string {
  if (p.length === 0) return 'is a GC root';
  const steps = [...p].reverse();
  const shown = steps.length > max ? [...steps.slice(0, max - 1), { className: '…', field: '' }, steps[steps.length - 1]] : steps;
  return shown.map((s) => (s.field ? `${clip(s.className, 60)}.${clip(s.field, 30)}` : s.className)).join(' → ');
}

/**
 * The heap-dump summary card: leak suspects first (what to fix), then the classes and objects that retain the most,
 * each with a short path to its GC root, then the JVM's settings as read from the dump.
 */
export function heapAnalysisCard(report: HeapReport, meta: HeapAnalysisMeta = {}): CardMessage {
  const s = report.summary;
  const where = [meta.env, meta.target].filter(Boolean).join(' / ');
  const sub = [where, meta.dumpBytes !== undefined ? `dump ${formatBytes(meta.dumpBytes)}` : '', `analyzed in ${report.seconds.total ?? '?'} s`].filter(Boolean).join(' · ');
  const body: CardElement[] = [...title('🧠 Heap dump analysis', sub)];
  body.push(
    facts([
      ['Live heap', `${formatBytes(report.reachableBytes)} in ${(s.objects - report.unreachable.objects).toLocaleString('en-US')} objects`],
      ['Garbage in dump', `${formatBytes(report.unreachable.shallowBytes)} (${report.unreachable.objects.toLocaleString('en-US')} objects)`],
      ['Classes / GC roots', `${s.classes.toLocaleString('en-US')} / ${s.gcRoots.toLocaleString('en-US')}`],
      ...(meta.dumpPath ? ([['Dump', clip(meta.dumpPath, 120)]] as Array<[string, string]>) : []),
    ]),
  );

  body.push(heading('Leak suspects'));
  if (report.leakSuspects.length === 0) body.push(severityLine('ok', 'No leak suspect: no single object or class retains 10% of the heap.'));
  for (const l of report.leakSuspects.slice(0, 3)) {
    const who = l.kind === 'class' ? `${l.instances.toLocaleString('en-US')} instances of ${plain(clip(l.className, 100))}` : `One ${plain(clip(l.className, 100))}`;
    body.push(severityLine(l.percent >= 30 ? 'critical' : 'warn', `${who} retains ${formatBytes(l.retainedBytes)} (${l.percent}% of the heap)`));
    const acc = l.accumulationPoint;
    if (acc && acc.objectId !== l.objectId) body.push(text(`Accumulated in **${plain(clip(acc.className, 100))}** (${formatBytes(acc.retainedBytes)})`, { spacing: 'None' }));
    body.push(mono(shortPath(l.pathToRoot)));
  }

  body.push(heading('Top retained classes'));
  const classes = report.histogram.filter((h) => h.className !== 'java.lang.Class').slice(0, 6);
  body.push(
    table(
      ['Class', 'Instances', 'Retained'],
      classes.map((h) => [plain(clip(h.className, 70)), h.instances.toLocaleString('en-US'), formatBytes(h.retainedBytes)]),
      ['stretch', 'auto', 'auto'],
    ),
  );

  body.push(heading('Biggest objects'));
  for (const b of report.biggestObjects.slice(0, 5)) {
    body.push(text(`**${formatBytes(b.retainedBytes)}** ${plain(clip(b.className, 100))}`, { spacing: 'Small' }));
    body.push(mono(shortPath(b.pathToRoot)));
  }

  const extras: Array<[string, string]> = [];
  const d = report.duplicateStrings[0];
  if (d) extras.push(['Duplicate strings', `${report.duplicateStrings.reduce((a, x) => a + x.count, 0).toLocaleString('en-US')} copies in the top groups, ${formatBytes(report.duplicateStrings.reduce((a, x) => a + x.wastedBytes, 0))} wasted (most: "${clip(d.value, 40)}" ×${d.count})`]);
  const e = report.emptyCollections[0];
  if (e) extras.push(['Empty collections', report.emptyCollections.slice(0, 3).map((x) => `${x.count.toLocaleString('en-US')} ${clip(x.className, 40)} (${formatBytes(x.wastedBytes)})`).join(', ')]);
  const a = report.largeArrays[0];
  if (a) extras.push(['Largest array', `${a.className} of ${a.length.toLocaleString('en-US')} (${formatBytes(a.shallowBytes)})`]);
  if (extras.length > 0) {
    body.push(heading('Also worth a look'));
    body.push(facts(extras));
  }

  const p = report.jvm.systemProperties;
  body.push(heading('JVM'));
  const jvm: Array<[string, string]> = [
    ['Java', [p['java.vm.name'], p['java.version'] ?? p['java.runtime.version']].filter(Boolean).join(' ') || 'not found in the dump'],
    ['Max heap', maxHeapText(report.jvm)],
    ['Oops', `${s.idSize}-byte ids${s.compressedOops ? ', compressed oops' : ''}`],
  ];
  if (p['sun.java.command']) jvm.push(['Command', clip(p['sun.java.command'], 200)]);
  if (p['user.dir']) jvm.push(['Working dir', clip(p['user.dir'], 120)]);
  body.push(facts(jvm));
  if (report.warnings.length > 0) body.push(text(`⚠️ ${clip(report.warnings.join('; '), 400)}`, { isSubtle: true, size: 'Small' }));

  const top = report.leakSuspects[0];
  const summary = top
    ? `Heap dump${where ? ` of ${where}` : ''}: ${top.kind === 'class' ? `${top.instances} instances of ` : ''}${top.className} retains ${formatBytes(top.retainedBytes)} (${top.percent}%)${top.accumulationPoint ? `, accumulated in ${top.accumulationPoint.className}` : ''}.`
    : `Heap dump${where ? ` of ${where}` : ''}: no leak suspect; live heap ${formatBytes(report.reachableBytes)}.`;
  return { card: adaptiveCard(body), text: fallbackText(summary) };
}
