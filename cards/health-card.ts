import type { HealthCheck, HealthGrade, HealthInstanceRow, HealthResult } from '../src/core/kinds/health.js';
import { adaptiveCard, clip, facts, fallbackText, heading, plain, severityIcon, severityLine, submit, text, title, WEBEX_MAX_CARD_BYTES, type CardAction, type CardElement, type CardMessage } from './card-kit.js';
import type { ResultMeta } from './result-meta.js';

/**
 * The `health` card: a tiers × instances matrix worst first, the sick instances in detail with the natural next
 * command one click away (prefilled, never run by the click), and the healthy ones grouped, so 50 instances still
 * fit one card. The full table travels as the result's CSV attachment.
 */

const MAX_DETAILED = 12;
const MAX_CHECKS_PER_INSTANCE = 4;
/** Chat tokens the command grammar accepts; anything else falls back to the instance id. */
const TOKEN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export function healthCard(result: HealthResult, meta: ResultMeta): CardMessage {
  // Shrink the detailed part until the card fits Webex's budget (long mount names and details add up).
  for (let detailed = MAX_DETAILED; ; detailed = Math.max(0, Math.floor(detailed * 0.7))) {
    const card = build(result, meta, detailed);
    if (Buffer.byteLength(JSON.stringify(card.card)) <= WEBEX_MAX_CARD_BYTES - 500 || detailed === 0) return card;
  }
}

function build(result: HealthResult, meta: ResultMeta, maxDetailed: number): CardMessage {
  const rows = result.instances;
  const overall: HealthGrade = result.counts.critical ? 'critical' : result.counts.warn ? 'warn' : 'ok';
  const seconds = Math.max(0, (result.finishedAt - result.startedAt) / 1000);
  const scope = result.tier ? `${result.env} / ${result.tier}` : result.env;
  const body: CardElement[] = [
    ...title(`🩺 Health: ${plain(scope)}`, `${rows.length} instance${rows.length === 1 ? '' : 's'} in ${result.tiers.length} tier${result.tiers.length === 1 ? '' : 's'} · ${result.counts.critical} critical · ${result.counts.warn} warning · ${result.counts.ok} healthy · ${seconds.toFixed(1)} s`),
    severityLine(overall, plain(clip(result.summary, 700))),
    heading('Matrix'),
    facts(result.tiers.map((t) => [t, matrixLine(rows.filter((r) => r.tier === t))])),
  ];

  const sick = rows.filter((r) => r.grade !== 'ok');
  if (sick.length > 0) {
    body.push(heading('Needs attention'));
    for (const row of sick.slice(0, maxDetailed)) body.push(instanceBlock(row, result.env));
    if (sick.length > maxDetailed) body.push(text(`…and ${sick.length - maxDetailed} more instance${sick.length - maxDetailed === 1 ? '' : 's'} needing attention: see health-${result.env}.csv.`, { isSubtle: true }));
  }

  const healthy = rows.filter((r) => r.grade === 'ok');
  if (healthy.length > 0) {
    body.push(heading(`Healthy (${healthy.length})`));
    const lines = result.tiers
      .map((t) => healthy.filter((r) => r.tier === t))
      .filter((g) => g.length > 0)
      .map((g) => `✅ **${plain(g[0]!.tier)}**: ${g.length} — ${clip(g.map((r) => plain(r.name)).join(', '), 240)}`);
    body.push(text(lines.join('\n\n'), { size: 'Small' }));
    const sample = healthy[0]!.readings;
    if (healthy.length === 1 && sample) body.push(facts(healthy[0]!.checks.slice(0, 8).map((c) => [checkLabel(c), c.value])));
  }

  body.push(text(`Job ${meta.jobId} · asked by ${plain(meta.requestedBy)} · full table attached (health-${result.env}.csv)`, { isSubtle: true, size: 'Small' }));
  return { card: adaptiveCard(body), text: fallbackText(`Health ${scope}: ${result.summary}`) };
}

/** `🛑 app-3 · 🛑 app-1 · ⚠️ app-2 · ✅ 45` for one tier. */
function matrixLine(tierRows: HealthInstanceRow[]): string {
  if (tierRows.length === 0) return '—';
  const sick = tierRows.filter((r) => r.grade !== 'ok');
  const ok = tierRows.length - sick.length;
  const shown = sick.slice(0, 10).map((r) => `${severityIcon(r.grade)} ${plain(r.name)}`);
  if (sick.length > 10) shown.push(`+${sick.length - 10} more`);
  if (ok > 0) shown.push(ok <= 3 && sick.length === 0 ? tierRows.map((r) => `✅ ${plain(r.name)}`).join(' · ') : `✅ ${ok} healthy`);
  return shown.join(' · ');
}

function instanceBlock(row: HealthInstanceRow, env: string): CardElement {
  const label = row.name === row.instanceId ? plain(row.name) : `${plain(row.name)} (${plain(row.instanceId)})`;
  const sickChecks = row.checks.filter((c) => c.grade === 'critical' || c.grade === 'warn');
  const items: CardElement[] = [severityLine(row.grade, `**${label}** · ${plain(row.tier)}`)];
  const lines = sickChecks.slice(0, MAX_CHECKS_PER_INSTANCE).map((c) => `${severityIcon(c.grade === 'critical' ? 'critical' : 'warn')} ${plain(c.headline)}${c.detail ? ` — ${plain(clip(c.detail, 140))}` : ''}`);
  if (sickChecks.length > MAX_CHECKS_PER_INSTANCE) lines.push(`+${sickChecks.length - MAX_CHECKS_PER_INSTANCE} more in the attachment`);
  items.push(text(lines.join('\n\n'), { size: 'Small', spacing: 'None' }));
  const actions = nextSteps(row, env);
  if (actions.length > 0) items.push({ type: 'ActionSet', actions });
  return { type: 'Container', separator: true, items };
}

/** The natural next command for what is wrong: a thread dump of a live but struggling JVM, a disk cleanup. */
export function nextSteps(row: HealthInstanceRow, env: string): CardAction[] {
  const target = TOKEN.test(row.name) ? row.name : row.instanceId;
  const bad = (id: HealthCheck['id'], onDisk = false): boolean => row.checks.some((c) => c.id === id && (c.grade === 'warn' || c.grade === 'critical') && !(onDisk && c.tmpfs));
  const jvmUp = row.checks.some((c) => c.id === 'jvm' && c.grade === 'ok');
  const actions: CardAction[] = [];
  if (jvmUp && (bad('load') || bad('health-url') || bad('memory') || bad('hs-err'))) actions.push(submit(`Thread dump ${clip(target, 24)}`, { medic: 'prefill', text: `jvm threads ${env} ${target}` }));
  // A full tmpfs is memory: deleting logs on disk frees nothing there.
  if (bad('disk', true) || bad('inodes', true)) actions.push(submit(`Disk cleanup ${clip(target, 24)}`, { medic: 'prefill', text: `disk cleanup ${env} ${target}` }));
  return actions;
}

function checkLabel(c: HealthCheck): string {
  const names: Record<HealthCheck['id'], string> = { reachable: 'Reachable', output: 'Output', uptime: 'Uptime', load: 'Load', memory: 'Memory', disk: 'Disk', inodes: 'Inodes', jvm: 'JVM', 'health-url': 'Health URL', 'hs-err': 'Crash files', oom: 'OOM kills', clock: 'Clock' };
  return `${c.id === 'disk' && c.tmpfs ? 'tmpfs' : names[c.id]}${c.mount ? ` ${c.mount}` : ''}`;
}
