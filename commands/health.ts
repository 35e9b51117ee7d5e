import { UserError } from '../src/core/errors.js';
import { defineCommand, envArg, nameArg, requireEnv } from './command.js';

/** `health <env> [tier]`: read-only, so it runs at once for anyone who may see the environment. */
export const health = defineCommand({
  name: 'health',
  summary: 'Checks every instance of an environment (or one tier): uptime, load, memory, disks, inodes, the JVM, its health URL, crash files, OOM kills and clock.',
  examples: ['health acme-prod', 'health acme-prod app'],
  minRole: 'viewer',
  args: [envArg(), { ...nameArg('tier', 'one tier of the environment (default: all of them)', true) }],
  plan: ({ args, inventory }) => {
    const envName = args.env as string;
    const tier = args.tier as string | undefined;
    const env = requireEnv(inventory, envName);
    if (tier !== undefined && !env.tiers[tier]) {
      const known = Object.keys(env.tiers);
      throw new UserError(`Environment \`${envName}\` has no tier \`${tier}\`.`, known.length ? `Its tiers: ${known.join(', ')}.` : 'It has no tiers in the inventory.');
    }
    const tiers = tier !== undefined ? [tier] : Object.keys(env.tiers);
    const targets = tiers.flatMap((t) => {
      const tg = env.tiers[t]!.targets;
      return 'instanceIds' in tg ? tg.instanceIds : [`tag:${Object.entries(tg.tag).map(([k, v]) => `${k}=${v}`).join(',')}`];
    });
    return {
      type: 'job',
      request: { kind: 'health.check', env: envName, ...(tier !== undefined ? { tier } : {}) },
      risk: 'read',
      env: envName,
      targets,
      summary: `health ${envName}${tier !== undefined ? ` ${tier}` : ''}`,
    };
  },
});
