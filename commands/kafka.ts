import { z } from 'zod';
import { isProd } from '../src/core/inventory.js';
import { describeKafkaRestart, resolveKafka, resolveKafkaBroker } from '../src/core/kinds/kafka.js';
import { defineCommand, envArg, requireEnv, type ArgSpec } from './command.js';

/**
 * `kafka status <env>` (read) and `kafka recover <env> <broker>` (destructive). The cluster comes from the
 * environment's `kafka:` in the inventory; the broker is its node.id, resolved here so the approval card names the
 * instance and the restart method that will run.
 */

const brokerArg: ArgSpec = {
  name: 'broker',
  description: 'the broker id (node.id), as `kafka status` names it',
  schema: z
    .string()
    .regex(/^[0-9]{1,9}$/, 'a broker id is a whole number (its node.id), as `kafka status` shows it')
    .transform(Number),
};

/** The lock key of a cluster: one recovery at a time, shared by manual and alert-driven runs. */
export function kafkaClusterLock(env: string): string {
  return `kafka/${env}`;
}

export const kafkaStatus = defineCommand({
  name: 'kafka status',
  summary: 'Kafka partition health: brokers up vs configured, offline, under-replicated, under- and at-min-ISR partitions, and the broker they point at, with its instance.',
  examples: ['kafka status acme-prod'],
  minRole: 'viewer',
  args: [envArg()],
  plan: ({ args, inventory }) => {
    const env = args.env as string;
    requireEnv(inventory, env);
    const spec = resolveKafka(inventory, env);
    return {
      type: 'job',
      request: { kind: 'kafka.status', env },
      risk: 'read',
      env,
      summary: `Kafka status of ${env} (${Object.keys(spec.brokers).length} broker(s), bootstrap ${spec.bootstrap.join(', ')})`,
    };
  },
});

export const kafkaRecover = defineCommand({
  name: 'kafka recover',
  summary: 'Recovers one Kafka broker: checks its host, restarts it (inventory method), waits until it is back in every ISR, runs a preferred leader election, reports the final status. Refused when more than one broker is down. Destructive: needs an approver.',
  examples: ['kafka recover acme-prod 3 because under-replicated partitions on broker 3'],
  minRole: 'operator',
  args: [envArg(), brokerArg],
  takesReason: true,
  plan: ({ args, inventory, reason }) => {
    const env = args.env as string;
    const environment = requireEnv(inventory, env);
    const spec = resolveKafka(inventory, env);
    const b = resolveKafkaBroker(spec, env, args.broker as number);
    return {
      type: 'job',
      request: { kind: 'kafka.recover', env, broker: b.id },
      risk: 'destructive',
      env,
      // The cluster lock: a second recovery of this cluster waits; the broker's instance is locked as well.
      targets: [kafkaClusterLock(env), b.target],
      summary: `recover Kafka broker ${b.id} of ${env}${isProd(environment) ? ' (prod)' : ''} on ${b.target}: host check, restart (${describeKafkaRestart(b.restart)}), wait for every ISR (up to ${spec.isrWaitSeconds} s), preferred leader election${reason ? ` because ${reason}` : ''}`,
    };
  },
});
