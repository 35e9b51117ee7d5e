import { formatBytes } from '../../core/format.js';
import { allowedActions, cleanupCommandText, planCaps, type DiskCheckResult, type DiskMount, type DiskPlanItem } from '../../core/kinds/disk.js';
import type { Runbook } from '../../core/runbook.js';
import { bytesByAction } from '../../analyzers/disk/parse-disk.js';
import { DISK_SCAN_SECONDS, diskParameters, runDiskDocument, withGrowth } from './disk-document.js';

/**
 * `disk <env> <target> [mount]`: Medic-Disk in check mode on one instance (read-only), the growth since the last
 * reading, and the dry-run plan of the allow-listed cleanup with the bytes each action would free.
 */
export const runDiskCheck: Runbook<'disk.check'> = async (request, ctx) => {
  await ctx.progress(`Looking at the disks of ${request.target}`, 0);
  const { t, out, commandId } = await runDiskDocument(request, ctx, 'check', (t) => diskParameters(t.policy, 'check', { mount: request.mount }));
  // The worker's clock in ms: the host reports whole seconds, and two readings within one second must still compare.
  const at = ctx.clock.now();
  const mounts = await withGrowth(request.env, t.instanceId, out.before, at, ctx);
  const plan = out.plan.filter((p) => p.bytes > 0 || p.action !== 'deleted-open');
  const freeable = plan.reduce((s, p) => s + p.bytes, 0);
  return {
    kind: 'disk.check',
    env: request.env,
    target: request.target,
    name: t.name,
    tier: t.tier,
    instanceId: t.instanceId,
    ...(request.mount ? { mount: request.mount } : {}),
    commandId,
    notes: [...out.notes, ...out.problems],
    mounts,
    scans: out.scans,
    consumers: out.consumers,
    deletedOpen: out.deletedOpen,
    journalBytes: out.journalBytes,
    docker: out.docker,
    plan,
    allowedActions: allowedActions(t.policy),
    scanBudgetSeconds: DISK_SCAN_SECONDS,
    cleanupCommand: freeable > 0 ? cleanupCommandText(request.env, request.target, request.mount, planCaps(plan)) : null,
    summary: diskSummary(t.name, mounts, plan, allowedActions(t.policy).length > 0),
  };
};

function fullest(mounts: DiskMount[]): DiskMount | undefined {
  return [...mounts].sort((a, b) => b.usedBytes / (b.sizeBytes || 1) - a.usedBytes / (a.sizeBytes || 1))[0];
}

export function usedPercent(m: Pick<DiskMount, 'usedBytes' | 'availableBytes'>): number {
  // As df computes Use%: used / (used + available), rounded up.
  const denom = m.usedBytes + m.availableBytes;
  return denom > 0 ? Math.ceil((m.usedBytes * 100) / denom) : 0;
}

function diskSummary(name: string, mounts: DiskMount[], plan: DiskPlanItem[], allowed: boolean): string {
  const f = fullest(mounts);
  const head = f ? `${name}: ${f.mount} ${usedPercent(f)}% used (${formatBytes(f.availableBytes)} free)${f.growth ? `, ${f.growth.bytesPerHour >= 0 ? '+' : '−'}${formatBytes(Math.abs(f.growth.bytesPerHour))}/h` : ''}` : `${name}: no mounts`;
  const by = bytesByAction(plan);
  const total = [...by.values()].reduce((s, b) => s + b, 0);
  if (!allowed) return `${head}; no cleanup is configured for it`;
  return `${head}; the cleanup would free ${formatBytes(total)} (${[...by].map(([a, b]) => `${a} ${formatBytes(b)}`).join(', ')})`;
}
