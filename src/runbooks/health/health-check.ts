import { errorMessage, UserError } from '../../core/errors.js';
import type { CommandTargets } from '../../core/executor.js';
import type { Environment, Tier } from '../../core/inventory.js';
import type { HealthInstanceRow } from '../../core/kinds/health.js';
import type { Runbook, RunbookContext } from '../../core/runbook.js';
import { gradeInstance, type TierExpectations } from '../../analyzers/health/grade-health.js';
import { countGrades, healthCsv, healthSummary, sortRows } from '../../analyzers/health/health-report.js';
import { resolveThresholds } from '../../analyzers/health/thresholds.js';

/** The document every tier runs (src/runbooks/documents/Medic-HealthCheck.yaml). */
export const HEALTH_DOCUMENT = 'Medic-HealthCheck';
/** Per-instance execution budget; the document's own probes time out well before (curl -m 5). */
const HEALTH_TIMEOUT_SECONDS = 60;

/**
 * `health <env> [tier]`: one command per tier, all tiers in parallel, every instance graded against the thresholds
 * of its environment and tier. An instance that cannot answer (offline, unknown to SSM, failed) is a critical row;
 * a tier whose command could not even be sent shows its instances (or its tag selector) as critical rows too, so
 * one broken tier never hides the others.
 */
export const runHealthCheck: Runbook<'health.check'> = async (request, ctx) => {
  const env = ctx.inventory[request.env];
  if (!env) throw new UserError(`There is no environment \`${request.env}\`.`, 'Type `envs` to see the environments you may use.');
  const known = Object.keys(env.tiers).sort();
  if (request.tier !== undefined && !env.tiers[request.tier]) {
    throw new UserError(`Environment \`${request.env}\` has no tier \`${request.tier}\`.`, known.length ? `Its tiers: ${known.join(', ')}.` : 'It has no tiers in the inventory.');
  }
  const tiers = request.tier !== undefined ? [request.tier] : known;
  if (tiers.length === 0) throw new UserError(`Environment \`${request.env}\` has no tiers to check.`, 'Add them under `tiers:` of the environment in the config file.');
  ctx.signal.throwIfAborted();
  const startedAt = ctx.clock.now();
  await ctx.progress(`Checking ${tiers.length} tier${tiers.length === 1 ? '' : 's'} of ${request.env}: ${tiers.join(', ')}`, 0);

  let done = 0;
  const perTier = await Promise.all(
    tiers.map(async (name) => {
      const r = await checkTier(request.env, env, name, env.tiers[name]!, ctx);
      done++;
      await ctx.progress(`${name}: ${r.rows.length} instance${r.rows.length === 1 ? '' : 's'} checked`, done / tiers.length);
      return r;
    }),
  );
  // A cancelled job ends as cancelled, not as a matrix of "cancelled" rows.
  ctx.signal.throwIfAborted();

  const rows = sortRows(perTier.flatMap((t) => t.rows));
  const summary = healthSummary(rows);
  return {
    kind: 'health.check',
    env: request.env,
    ...(request.tier !== undefined ? { tier: request.tier } : {}),
    tiers,
    instances: rows,
    counts: countGrades(rows),
    commandIds: perTier.map((t) => t.commandId).filter((id): id is string => Boolean(id)),
    startedAt,
    finishedAt: ctx.clock.now(),
    summary,
    attachments: [{ name: `health-${request.env}.csv`, contentType: 'text/csv', content: healthCsv(rows) }],
  };
};

async function checkTier(envName: string, env: Environment, name: string, tier: Tier, ctx: RunbookContext): Promise<{ rows: HealthInstanceRow[]; commandId?: string }> {
  const thresholds = resolveThresholds(env.healthThresholds, tier.healthThresholds);
  const jvm = tier.jvm;
  const expect: TierExpectations = {
    ...(jvm ? { jvm: jvm.container ? { container: jvm.container } : { process: jvm.process } } : {}),
    ...(jvm?.healthUrl ? { healthUrl: jvm.healthUrl } : {}),
  };
  const parameters = {
    JvmProcess: jvm && !jvm.container ? (jvm.process ?? '') : '',
    JvmContainer: jvm?.container ?? '',
    HealthUrl: jvm?.healthUrl ?? '',
    // Sent only when opted in, so documents synced before the parameter existed keep working for everyone else.
    ...(jvm?.healthUrl && jvm.healthUrlInsecure ? { HealthUrlInsecure: 'true' } : {}),
  };
  const targets: CommandTargets = 'instanceIds' in tier.targets ? { instanceIds: tier.targets.instanceIds } : { tags: tier.targets.tag };
  const displayName = (id: string): string => tier.names?.[id] ?? id;
  const now = Math.floor(ctx.clock.now() / 1000);
  try {
    const run = await ctx.services.executor.run({ document: HEALTH_DOCUMENT, parameters, targets, timeoutSeconds: HEALTH_TIMEOUT_SECONDS, signal: ctx.signal, comment: `Medic ${ctx.jobId}: health ${envName} ${name}` });
    const rows = run.instances.map((result) => gradeInstance({ tier: name, name: displayName(result.instanceId), result, thresholds, expect, now }));
    if (rows.length === 0) rows.push(failedRow(name, selector(targets), 'no instance matches the tier’s targets'));
    return { rows, commandId: run.commandId || undefined };
  } catch (e) {
    if (ctx.signal.aborted) throw e;
    ctx.log.warn({ err: errorMessage(e), tier: name, env: envName }, 'health: the tier could not be checked');
    const ids = 'instanceIds' in targets ? targets.instanceIds : [selector(targets)];
    return { rows: ids.map((id) => failedRow(name, id, errorMessage(e), displayName(id))) };
  }
}

function selector(targets: CommandTargets): string {
  return 'instanceIds' in targets ? targets.instanceIds.join(',') : `tag:${Object.entries(targets.tags).map(([k, v]) => `${k}=${v}`).join(',')}`;
}

function failedRow(tier: string, instanceId: string, why: string, name = instanceId): HealthInstanceRow {
  return {
    tier,
    instanceId,
    name,
    status: 'Failed',
    grade: 'critical',
    readings: null,
    detail: why,
    durationMs: 0,
    checks: [{ id: 'reachable', grade: 'critical', headline: 'not checked', value: 'not run', detail: why }],
  };
}
