import { z } from 'zod';
import { isProd } from '../src/core/inventory.js';
import { allowedActions, parsePlanToken, PLAN_TOKEN, resolveDiskTarget, type DiskActionId } from '../src/core/kinds/disk.js';
import { formatBytes } from '../src/core/format.js';
import { UserError } from '../src/core/errors.js';
import { defineCommand, envArg, requireEnv, type ArgSpec } from './command.js';

/**
 * `disk <env> <target> [mount]` (read: diagnosis and dry-run plan) and `disk cleanup <env> <target> [mount] <plan>`
 * (change: approval). The plan token carries the bytes per action the dry run showed; paths never come from chat,
 * only from the target's `cleanup:` allow-list, which the request carries so the approval's hash binds it.
 * `disk cleanup` without a plan runs the dry run, whose card offers the button that asks for it.
 */

const targetArg: ArgSpec = {
  name: 'target',
  description: 'one instance: its name (as `health` shows it), its instance id, or `local`',
  schema: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'target is an instance name or id: letters, digits, . _ - (no spaces or shell characters)'),
};

/** A mount point, as the document's allowedPattern takes it. */
const MOUNT = /^(\/|(\/[A-Za-z0-9_][A-Za-z0-9._-]{0,63}){1,16})$/;
const mountSchema = z.string().regex(MOUNT, 'a mount point such as / or /var: letters, digits, . _ - per component');

const mountArg: ArgSpec = { name: 'mount', optional: true, description: 'one mount point, e.g. /var (default: every real filesystem and tmpfs)', schema: mountSchema };

/** Positional and optional: the plan may come third when no mount is named. */
const mountOrPlanArg: ArgSpec = {
  name: 'mount',
  optional: true,
  description: 'one mount point, e.g. /var (default: every mount)',
  schema: z.string().refine((s) => MOUNT.test(s) || PLAN_TOKEN.test(s) || s === 'all', 'a mount point such as /var, or the plan (`plan:...` from the `disk` card)'),
};
const planArg: ArgSpec = {
  name: 'plan',
  optional: true,
  description: 'the bytes per action the dry run showed (`plan:rotated-logs=<bytes>,...`, from the `disk` card), or `all` (no cap: automatic remediation); without it, the dry run',
  schema: z.string().refine((s) => PLAN_TOKEN.test(s) || s === 'all', 'the plan from the `disk` card (`plan:<action>=<bytes>,...`) or `all`'),
};

export const disk = defineCommand({
  name: 'disk',
  summary: 'What fills the disks of an instance: per mount use, inodes and growth, biggest directories and files, rotated logs, heap dumps, core files, journal, docker, files deleted but held open; then the dry-run plan of the allowed cleanup with the bytes it would free.',
  examples: ['disk acme-prod app-2', 'disk acme-prod app-2 /var'],
  minRole: 'viewer',
  args: [envArg(), targetArg, mountArg],
  plan: ({ args, inventory }) => {
    const envName = args.env as string;
    requireEnv(inventory, envName);
    const t = resolveDiskTarget(inventory, envName, args.target as string);
    const mount = args.mount as string | undefined;
    return {
      type: 'job',
      request: { kind: 'disk.check', env: envName, target: args.target as string, ...(mount ? { mount } : {}) },
      risk: 'read',
      env: envName,
      targets: [t.instanceId],
      summary: `disk diagnosis of ${t.name} (${envName}/${t.tier})${mount ? ` on ${mount}` : ''} and the dry-run cleanup plan`,
    };
  },
});

export const diskCleanup = defineCommand({
  name: 'disk cleanup',
  summary: 'Cleans up what the target’s allow-list permits (rotated logs, uploaded heap dumps, journal, docker, deleted-but-open logs) within the plan a `disk` dry run showed; refused if the plan has grown. Without a plan: the dry run. Needs approval.',
  examples: ['disk cleanup acme-prod app-2', 'disk cleanup acme-prod app-2 /var plan:rotated-logs=5368709120'],
  minRole: 'operator',
  args: [envArg(), targetArg, mountOrPlanArg, planArg],
  takesReason: true,
  plan: ({ args, inventory, reason }) => {
    const envName = args.env as string;
    const env = requireEnv(inventory, envName);
    const target = args.target as string;
    const t = resolveDiskTarget(inventory, envName, target);
    let mount = args.mount as string | undefined;
    let planText = args.plan as string | undefined;
    if (mount !== undefined && !MOUNT.test(mount)) {
      if (planText !== undefined) throw new UserError(`\`${mount.slice(0, 80)}\` is not a mount point.`, 'Usage: `disk cleanup <env> <target> [mount] [plan]`.');
      planText = mount;
      mount = undefined;
    }
    if (planText === undefined) {
      // The dry run: read-only, and its card carries the button that asks for this plan's cleanup.
      return {
        type: 'job',
        request: { kind: 'disk.check', env: envName, target, ...(mount ? { mount } : {}) },
        risk: 'read',
        env: envName,
        targets: [t.instanceId],
        summary: `dry run of the disk cleanup of ${t.name} (${envName}/${t.tier})${mount ? ` on ${mount}` : ''}: nothing is deleted; the card offers the cleanup`,
      };
    }
    const allowed = allowedActions(t.policy);
    if (allowed.length === 0) {
      throw new UserError(`No cleanup is configured for ${t.name} in ${envName}.`, 'Add `cleanup:` (rotatedLogs, heapDumps, journalMaxMB, docker, truncateDeletedOpenFiles) to its environment or tier in the config file.');
    }
    const caps = planText === 'all' ? ('any' as const) : parsePlanToken(planText);
    if (caps !== 'any') {
      const extra = (Object.keys(caps) as DiskActionId[]).filter((a) => !allowed.includes(a));
      if (extra.length) throw new UserError(`The plan names ${extra.join(', ')}, which ${t.name}’s allow-list does not permit.`, `Allowed: ${allowed.join(', ')}. Run \`disk ${envName} ${target}\` for a fresh plan.`);
    }
    const shown = caps === 'any' ? 'whatever the allow-list frees (no approved plan)' : Object.entries(caps).map(([a, b]) => `${a} ≤ ${formatBytes(b)}`).join(', ');
    return {
      type: 'job',
      request: { kind: 'disk.cleanup', env: envName, target, ...(mount ? { mount } : {}), caps, policy: t.policy },
      risk: 'change',
      env: envName,
      targets: [t.instanceId],
      summary: `disk cleanup of ${t.name} (${envName}/${t.tier}${isProd(env) ? ', prod' : ''})${mount ? ` on ${mount}` : ''}: ${shown}${reason ? ` because ${reason}` : ''}`,
    };
  },
});

