import { UserError } from '../../core/errors.js';
import { formatBytes } from '../../core/format.js';
import { allowedActions, type DiskCleanupResult } from '../../core/kinds/disk.js';
import type { Runbook } from '../../core/runbook.js';
import { diskParameters, runDiskDocument } from './disk-document.js';

/**
 * `disk cleanup`: Medic-Disk in cleanup mode. The host plans again and refuses as a whole (nothing touched) when an
 * action would free more than approved; otherwise each approved action runs and the card shows what it freed and
 * the mounts before and after. The allow-list is the one in the request, i.e. the one the approver saw.
 */
export const runDiskCleanup: Runbook<'disk.cleanup'> = async (request, ctx) => {
  const allowed = allowedActions(request.policy);
  if (allowed.length === 0) {
    throw new UserError(`No cleanup is configured for ${request.target} in ${request.env}.`, 'Add `cleanup:` (rotatedLogs, heapDumps, journalMaxMB, docker, truncateDeletedOpenFiles) to its environment or tier in the config file.');
  }
  await ctx.progress(`Cleaning up ${request.target}`, 0);
  const { t, out, commandId } = await runDiskDocument(request, ctx, 'cleanup', () => diskParameters(request.policy, 'cleanup', { mount: request.mount, caps: request.caps }));
  const freedBytes = out.applied.reduce((s, a) => s + a.bytes, 0);
  const failures = out.applied.reduce((s, a) => s + a.failures, 0);
  const outcome: DiskCleanupResult['outcome'] = out.grew.length ? 'refused-grew' : out.applied.length === 0 || (freedBytes === 0 && failures === 0) ? 'nothing-to-do' : 'cleaned';
  const summary =
    outcome === 'refused-grew'
      ? `${t.name}: refused, the plan grew beyond the approved one (${out.grew.map((g) => `${g.action} ${formatBytes(g.plannedBytes)} > ${formatBytes(g.approvedBytes)}`).join(', ')}); nothing was deleted`
      : outcome === 'nothing-to-do'
        ? `${t.name}: nothing to clean up${failures ? `, ${failures} failure${failures === 1 ? '' : 's'}` : ''}`
        : `${t.name}: freed ${formatBytes(freedBytes)}${failures ? ` with ${failures} failure${failures === 1 ? '' : 's'}` : ''}`;
  return {
    kind: 'disk.cleanup',
    env: request.env,
    target: request.target,
    name: t.name,
    tier: t.tier,
    instanceId: t.instanceId,
    ...(request.mount ? { mount: request.mount } : {}),
    commandId,
    notes: [...out.notes, ...out.problems],
    outcome,
    before: out.before,
    after: out.after,
    plan: out.plan,
    applied: out.applied,
    grew: out.grew,
    caps: request.caps,
    freedBytes,
    failures,
    summary,
  };
};
