import { z } from 'zod';
import { isProd } from '../src/core/inventory.js';
import { resolveJvmTarget } from '../src/core/kinds/jvm.js';
import { defineCommand, envArg, intArg, requireEnv, type ArgSpec } from './command.js';

/**
 * `jvm threads`, `jvm heap`, `jvm oom`. The target is one instance: a display name from the tier's `names`, an
 * instance id, or `local`. Resolved here so the approval card and its hash name the exact instance.
 */

const targetArg: ArgSpec = {
  name: 'target',
  description: 'one instance: its name (as `health` shows it), its instance id, or `local`',
  schema: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'target is an instance name or id: letters, digits, . _ - (no spaces or shell characters)'),
};

function resolve(args: Record<string, unknown>, inventory: Parameters<typeof requireEnv>[0]) {
  const envName = args.env as string;
  const env = requireEnv(inventory, envName);
  return { envName, env, t: resolveJvmTarget(inventory, envName, args.target as string) };
}

export const jvmThreads = defineCommand({
  name: 'jvm threads',
  summary: 'Takes thread dumps of a JVM (jcmd Thread.print -l, top -H beside each) and analyzes them: deadlocks, contended locks, stuck and hot threads, saturated pools.',
  examples: ['jvm threads acme-prod app-2', 'jvm threads acme-prod app-2 5 10'],
  minRole: 'viewer',
  args: [envArg(), targetArg, intArg('count', 'how many dumps (default 3, at most 10)', 1, 10), intArg('interval', 'seconds between dumps (default 5, 1 to 60)', 1, 60)],
  plan: ({ args, inventory }) => {
    const { envName, t } = resolve(args, inventory);
    const count = (args.count as number | undefined) ?? 3;
    const intervalSeconds = (args.interval as number | undefined) ?? 5;
    return {
      type: 'job',
      request: { kind: 'jvm.threads', env: envName, target: args.target as string, count, intervalSeconds },
      risk: 'read',
      env: envName,
      targets: [t.instanceId],
      summary: `${count} thread dump${count === 1 ? '' : 's'} of ${t.name} (${envName}/${t.tier}), ${intervalSeconds} s apart`,
    };
  },
});

export const jvmHeap = defineCommand({
  name: 'jvm heap',
  summary: 'Takes a heap dump of a JVM (live objects, gzip) after checking the disk, then analyzes it: leak suspects, what retains the memory. Pauses the JVM: needs approval.',
  examples: ['jvm heap acme-prod app-2'],
  minRole: 'operator',
  args: [envArg(), targetArg],
  takesReason: true,
  plan: ({ args, inventory, reason }) => {
    const { envName, t } = resolve(args, inventory);
    return {
      type: 'job',
      request: { kind: 'jvm.heap', env: envName, target: args.target as string },
      // The dump stops the JVM for its duration (seconds per GB): a change, approved by a second person.
      risk: 'change',
      env: envName,
      targets: [t.instanceId],
      summary: `heap dump of ${t.name} (${envName}/${t.tier}); the JVM pauses while it is written${reason ? ` because ${reason}` : ''}`,
    };
  },
});

export const jvmOom = defineCommand({
  name: 'jvm oom',
  summary: 'OutOfMemory remediation: takes the heap dump (or the one the JVM wrote), restarts the JVM, waits for its health URL, analyzes the dump. Destructive: needs an approver.',
  examples: ['jvm oom acme-prod app-2 because OutOfMemoryError in the logs'],
  minRole: 'operator',
  args: [envArg(), targetArg],
  takesReason: true,
  plan: ({ args, inventory, reason }) => {
    const { envName, env, t } = resolve(args, inventory);
    const how = t.jvm.restart ? (t.jvm.restart.method === 'systemctl' ? `systemctl restart ${t.jvm.restart.unit}` : t.jvm.restart.method === 'docker' ? `docker restart ${t.jvm.container ?? '?'}` : 'its restart command') : 'no restart method configured';
    return {
      type: 'job',
      request: { kind: 'jvm.oom', env: envName, target: args.target as string },
      risk: 'destructive',
      env: envName,
      targets: [t.instanceId],
      summary: `OOM remediation of ${t.name} (${envName}/${t.tier}${isProd(env) ? ', prod' : ''}): heap dump, restart (${how}), health wait, analysis${reason ? ` because ${reason}` : ''}`,
    };
  },
});
