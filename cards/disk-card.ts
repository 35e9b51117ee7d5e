import { formatBytes } from '../src/core/format.js';
import { DISK_ACTIONS, type DiskActionId, type DiskCheckResult, type DiskCleanupResult, type DiskConsumer, type DiskMount, type DiskPlanItem } from '../src/core/kinds/disk.js';
import { adaptiveCard, clip, facts, fallbackText, heading, plain, severityLine, submit, table, text, title, WEBEX_MAX_CARD_BYTES, type CardElement, type CardMessage, type Severity } from './card-kit.js';
import type { ResultMeta } from './result-meta.js';

/**
 * The `disk` card: per mount use, inodes and growth; what fills it (from a scan that says when its budget ran out);
 * files deleted but held open, with their process; then the dry-run plan with the bytes each allow-listed action
 * would free, and one button that asks for exactly that plan's cleanup (a `change`: it goes to approval). The
 * `disk cleanup` card: what each action freed, failures, the mounts before and after, or why it refused.
 */

const ACTION_LABEL: Record<DiskActionId, string> = {
  'rotated-logs': 'Rotated logs',
  'heap-dumps': 'Heap dumps',
  journal: 'systemd journal',
  docker: 'Docker',
  'deleted-open': 'Deleted, still open',
};

function pct(m: DiskMount): number {
  const denom = m.usedBytes + m.availableBytes;
  return denom > 0 ? Math.ceil((m.usedBytes * 100) / denom) : 0;
}

function inodePct(m: DiskMount): number | null {
  return m.inodes && m.inodesUsed !== null ? Math.ceil((m.inodesUsed * 100) / m.inodes) : null;
}

function severity(m: DiskMount): Severity {
  const p = Math.max(pct(m), inodePct(m) ?? 0);
  return p >= 95 ? 'critical' : p >= 85 ? 'warn' : 'ok';
}

function growthText(m: DiskMount, now: number): string {
  if (!m.growth) return 'first reading';
  const g = m.growth;
  const sign = g.usedBytesDelta >= 0 ? '+' : '−';
  const hours = Math.max(0, (now - g.previousAt) / 3_600_000);
  const since = hours < 1 ? `${Math.round(hours * 60)} min` : hours < 48 ? `${hours.toFixed(1)} h` : `${Math.round(hours / 24)} d`;
  return `${sign}${formatBytes(Math.abs(g.usedBytesDelta))} in ${since} (${sign}${formatBytes(Math.abs(g.bytesPerHour))}/h)`;
}

function mountsTable(mounts: DiskMount[], now?: number): CardElement {
  const withGrowth = now !== undefined;
  const rows = mounts.map((m) => {
    const ip = inodePct(m);
    return [
      `${severity(m) === 'ok' ? '' : severity(m) === 'warn' ? '⚠️ ' : '🛑 '}${plain(clip(m.mount, 40))}${m.fsType === 'tmpfs' ? ' (tmpfs)' : ''}`,
      `${pct(m)}% of ${formatBytes(m.sizeBytes)}`,
      `${formatBytes(m.availableBytes)}`,
      ip === null ? '–' : `${ip}%`,
      ...(now !== undefined ? [growthText(m, now)] : []),
    ];
  });
  return table(['Mount', 'Used', 'Free', 'Inodes', ...(withGrowth ? ['Growth'] : [])], rows);
}

function consumerLines(list: DiskConsumer[], max: number): string {
  return list
    .slice(0, max)
    .map((c) => `${formatBytes(c.bytes).padStart(8)}  ${clip(c.path, 110)}${c.kind === 'dump' ? (c.uploaded ? '  (uploaded)' : '  (not uploaded)') : ''}`)
    .join('\n');
}

/** Plan lines grouped by action: the action's total, then each directory (or open file) and its bytes. */
export function planLines(plan: readonly DiskPlanItem[], maxPerAction = 6): string {
  const out: string[] = [];
  for (const a of DISK_ACTIONS) {
    const items = plan.filter((p) => p.action === a);
    if (items.length === 0) continue;
    const total = items.reduce((s, p) => s + p.bytes, 0);
    out.push(`${ACTION_LABEL[a]}: ${formatBytes(total)}${items.every((p) => p.exact) ? '' : ' (estimated by the tool)'}`);
    for (const p of items.slice(0, maxPerAction)) {
      const what = p.action === 'deleted-open' ? `${p.path} (pid ${p.pid ?? '?'} ${p.process ?? ''}, fd ${p.fd ?? '?'})` : `${p.path}: ${p.files} file${p.files === 1 ? '' : 's'}`;
      out.push(`  ${formatBytes(p.bytes).padStart(8)}  ${clip(what, 110)}`);
    }
    if (items.length > maxPerAction) out.push(`  …${items.length - maxPerAction} more`);
  }
  return out.join('\n');
}

export function diskCheckCard(r: DiskCheckResult, meta: ResultMeta): CardMessage {
  for (const max of [10, 6, 3, 1]) {
    const card = buildCheck(r, meta, max);
    if (Buffer.byteLength(JSON.stringify(card.card)) <= WEBEX_MAX_CARD_BYTES - 500 || max === 1) return card;
  }
  throw new Error('unreachable');
}

function buildCheck(r: DiskCheckResult, meta: ResultMeta, max: number): CardMessage {
  const worst: Severity = r.mounts.some((m) => severity(m) === 'critical') ? 'critical' : r.mounts.some((m) => severity(m) === 'warn') ? 'warn' : 'ok';
  const body: CardElement[] = [
    ...title(`💽 Disk: ${plain(r.name)}`, `${plain(r.env)} / ${plain(r.tier)} · ${plain(r.instanceId)}${r.mount ? ` · ${plain(r.mount)}` : ''}`),
    severityLine(worst, clip(plain(r.summary), 600)),
    mountsTable(r.mounts, meta.now),
  ];

  for (const s of r.scans) {
    const mine = r.consumers.filter((c) => c.mount === s.mount);
    const of = (k: DiskConsumer['kind']) => mine.filter((c) => c.kind === k);
    body.push(heading(`What fills ${plain(clip(s.mount, 60))}`));
    body.push(
      text(
        s.complete
          ? `Scanned ${s.files.toLocaleString('en')} files (${formatBytes(s.bytes)}) in ${s.seconds ?? '?'} s, one filesystem, at idle I/O priority.`
          : `⏱️ Partial: the ${r.scanBudgetSeconds} s scan budget ran out after ${s.files.toLocaleString('en')} files (${formatBytes(s.bytes)}); the lists below are what was seen by then.`,
        { isSubtle: true, size: 'Small' },
      ),
    );
    const dirs = of('dir');
    if (dirs.length) body.push(text('**Biggest directories**', { size: 'Small' }), { type: 'TextBlock', text: consumerLines(dirs, max), fontType: 'Monospace', wrap: true, size: 'Small' });
    const files = of('file');
    if (files.length) body.push(text('**Biggest files**', { size: 'Small' }), { type: 'TextBlock', text: consumerLines(files, max), fontType: 'Monospace', wrap: true, size: 'Small' });
    const kinds: Array<[DiskConsumer['kind'], string, { files: number; bytes: number }]> = [
      ['rot', 'Rotated and compressed logs', s.rotated],
      ['dump', 'Heap dumps', s.dumps],
      ['core', 'Core files', s.cores],
    ];
    for (const [k, label, count] of kinds) {
      if (count.files === 0) continue;
      body.push(text(`**${label}**: ${count.files} file${count.files === 1 ? '' : 's'}, ${formatBytes(count.bytes)}`, { size: 'Small' }), { type: 'TextBlock', text: consumerLines(of(k), Math.min(max, 5)), fontType: 'Monospace', wrap: true, size: 'Small' });
    }
  }

  const other: Array<[string, string]> = [
    ['systemd journal', r.journalBytes === null ? 'no journal on this host' : formatBytes(r.journalBytes)],
    ['Docker', r.docker.reachable ? r.docker.types.map((t) => `${t.type} ${t.count ?? '?'}: ${t.bytes === null ? '?' : formatBytes(t.bytes)} (${t.reclaimableBytes === null ? '?' : formatBytes(t.reclaimableBytes)} reclaimable)`).join('; ') || 'nothing' : 'not checked: the docker engine does not answer here'],
  ];
  body.push(heading('Elsewhere'), facts(other));

  body.push(heading(`Deleted but still open (${r.deletedOpen.length})`));
  if (r.deletedOpen.length === 0) body.push(text('No process holds a deleted file open.', { size: 'Small' }));
  else {
    const total = r.deletedOpen.reduce((s, o) => s + o.bytes, 0);
    body.push(
      text(`${formatBytes(total)} stays allocated until these processes close the files (or restart).`, { size: 'Small' }),
      { type: 'TextBlock', text: r.deletedOpen.slice(0, max).map((o) => `${formatBytes(o.bytes).padStart(8)}  pid ${o.pid} ${clip(o.process, 24)} fd ${o.fd}  ${clip(o.path, 90)}`).join('\n'), fontType: 'Monospace', wrap: true, size: 'Small' },
    );
  }

  body.push(heading('Dry-run cleanup plan'));
  const actions = [];
  if (r.allowedActions.length === 0) {
    body.push(text('No cleanup is configured for this instance: add `cleanup:` to its environment or tier in the config file.', { size: 'Small' }));
  } else {
    const freeable = r.plan.reduce((s, p) => s + p.bytes, 0);
    body.push(text(`Allowed here: ${r.allowedActions.map((a) => ACTION_LABEL[a]).join(', ')}. Nothing was deleted. Bytes are computed from the files themselves.`, { size: 'Small', isSubtle: true }));
    if (r.plan.length) body.push({ type: 'TextBlock', text: planLines(r.plan, max), fontType: 'Monospace', wrap: true, size: 'Small' });
    body.push(text(freeable > 0 ? `**Would free ${formatBytes(freeable)}.**` : 'Nothing to free within the allow-list right now.'));
    if (r.cleanupCommand) {
      body.push(text(`To run it: \`${clip(r.cleanupCommand, 300)}\` (needs approval; refused if the plan has grown by then).`, { size: 'Small', isSubtle: true }));
      actions.push(submit(`Clean up ${formatBytes(freeable)} (asks approval)`, { medic: 'prefill', text: r.cleanupCommand }));
    }
  }
  if (r.notes.length) body.push(text(`Notes: ${clip(r.notes.map(plain).join(' · '), 600)}`, { size: 'Small', isSubtle: true }));
  body.push(text(`Job ${meta.jobId} · asked by ${plain(meta.requestedBy)} · ${r.commandId}`, { isSubtle: true, size: 'Small' }));
  return { card: adaptiveCard(body, actions), text: fallbackText(`Disk ${r.env} ${r.name}: ${r.summary}`) };
}

export function diskCleanupCard(r: DiskCleanupResult, meta: ResultMeta): CardMessage {
  const sev: Severity = r.outcome === 'refused-grew' ? 'warn' : r.failures > 0 ? 'warn' : r.outcome === 'cleaned' ? 'ok' : 'info';
  const body: CardElement[] = [...title(`🧹 Disk cleanup: ${plain(r.name)}`, `${plain(r.env)} / ${plain(r.tier)} · ${plain(r.instanceId)}${r.mount ? ` · ${plain(r.mount)}` : ''}`), severityLine(sev, clip(plain(r.summary), 600))];
  if (r.outcome === 'refused-grew') {
    body.push(
      heading('Refused: the plan grew'),
      text('The host planned again before deleting anything and found more than was approved, so nothing was deleted. Look again with `disk` and ask for the new plan.', { size: 'Small' }),
      table(
        ['Action', 'Approved', 'Now'],
        r.grew.map((g) => [ACTION_LABEL[g.action], formatBytes(g.approvedBytes), formatBytes(g.plannedBytes)]),
      ),
    );
  } else {
    body.push(heading('Freed per action'));
    if (r.applied.length === 0) body.push(text('No approved action had anything to do.', { size: 'Small' }));
    else
      body.push(
        table(
          ['Action', 'Where', 'Freed', 'Failures'],
          r.applied.slice(0, 15).map((a) => [ACTION_LABEL[a.action], plain(clip(a.path, 60)), `${formatBytes(a.bytes)}${a.files ? ` (${a.files} file${a.files === 1 ? '' : 's'})` : ''}`, a.failures ? `${a.failures}${a.error ? `: ${plain(clip(a.error, 120))}` : ''}` : '–']),
        ),
      );
    const planned = r.plan.reduce((s, p) => s + p.bytes, 0);
    body.push(text(`Planned on the host just before: ${formatBytes(planned)}; freed: ${formatBytes(r.freedBytes)}.`, { size: 'Small', isSubtle: true }));
    if (r.after.length) {
      body.push(heading('Before → after'));
      body.push(
        table(
          ['Mount', 'Before', 'After', 'Freed'],
          r.after.map((a) => {
            const b = r.before.find((x) => x.mount === a.mount);
            return [plain(clip(a.mount, 40)), b ? `${pct(b)}% (${formatBytes(b.availableBytes)} free)` : '–', `${pct(a)}% (${formatBytes(a.availableBytes)} free)`, b ? formatBytes(Math.max(0, b.usedBytes - a.usedBytes)) : '–'];
          }),
        ),
      );
    }
  }
  body.push(facts([['Approved caps', r.caps === 'any' ? 'none (automatic remediation within the allow-list)' : Object.entries(r.caps).map(([a, b]) => `${a} ${formatBytes(b)}`).join(', ') || 'none']]));
  if (r.notes.length) body.push(text(`Notes: ${clip(r.notes.map(plain).join(' · '), 600)}`, { size: 'Small', isSubtle: true }));
  body.push(text(`Job ${meta.jobId} · asked by ${plain(meta.requestedBy)} · ${r.commandId}`, { isSubtle: true, size: 'Small' }));
  return { card: adaptiveCard(body), text: fallbackText(`Disk cleanup ${r.env} ${r.name}: ${r.summary}`) };
}
