import { z } from 'zod';
import { UserError } from '../src/core/errors.js';
import type { Inventory } from '../src/core/inventory.js';
import { defineCommand, requireEnv, type ArgSpec } from './command.js';

/**
 * `db health`, `db cancel`, `db kill`. The target is `<env>/<db>` (or just `<env>` for health: every database of
 * the environment). Strict patterns: these tokens end up in job data and in the approval card.
 */

const NAME = '[a-z0-9][a-z0-9-]{0,62}';
const TARGET_HINT = 'a target is <env>/<db> in lower-case letters, digits and - (see `envs`)';

const envOrDbArg: ArgSpec = {
  name: 'target',
  description: '<env> for every database of the environment, or <env>/<db> for one',
  schema: z.string().regex(new RegExp(`^${NAME}(/${NAME})?$`), TARGET_HINT),
};

const dbArg: ArgSpec = {
  name: 'target',
  description: 'the database, as <env>/<db>',
  schema: z.string().regex(new RegExp(`^${NAME}/${NAME}$`), TARGET_HINT),
};

/** PostgreSQL pids are positive int4. */
const pidArg: ArgSpec = {
  name: 'pid',
  description: 'the backend pid, as `db health` shows it',
  schema: z
    .string()
    .regex(/^[1-9][0-9]{0,9}$/, 'a pid is a positive whole number')
    .transform(Number)
    .pipe(z.number().int().max(2147483647, 'a pid is at most 2147483647')),
};

function resolveTarget(inventory: Inventory, target: string): { env: string; db?: string } {
  const [env, db] = target.split('/') as [string, string | undefined];
  const environment = requireEnv(inventory, env);
  if (db !== undefined && !environment.databases[db]) {
    const known = Object.keys(environment.databases);
    throw new UserError(`Environment \`${env}\` has no database \`${db}\`.`, known.length ? `Its databases: ${known.map((k) => `${env}/${k}`).join(', ')}.` : 'It has no databases in the inventory.');
  }
  if (db === undefined && Object.keys(environment.databases).length === 0) {
    throw new UserError(`Environment \`${env}\` has no databases in the inventory.`, 'Add them under `databases:` of the environment in the config file.');
  }
  return db === undefined ? { env } : { env, db };
}

export const dbHealth = defineCommand({
  name: 'db health',
  summary: 'PostgreSQL health at a glance (PgHero checks: long queries, locks, connections, vacuum, bloat, indexes, wraparound, replication, RDS metrics).',
  examples: ['db health acme-prod/main', 'db health acme-prod'],
  minRole: 'viewer',
  args: [envOrDbArg],
  plan: ({ args, inventory }) => {
    const t = resolveTarget(inventory, args.target as string);
    if (t.db) {
      return { type: 'job', request: { kind: 'db.health', env: t.env, db: t.db }, risk: 'read', env: t.env, targets: [`${t.env}/${t.db}`], summary: `database health of ${t.env}/${t.db}` };
    }
    // Every database of the environment: one child job each (any worker, in parallel), then one summary.
    const dbs = Object.keys(inventory[t.env]!.databases);
    return {
      type: 'job',
      request: { kind: 'db.health', env: t.env },
      risk: 'read',
      env: t.env,
      summary: `database health of ${t.env} (${dbs.length} database${dbs.length === 1 ? '' : 's'})`,
      children: dbs.map((db) => ({ key: db, request: { kind: 'db.health', env: t.env, db }, targets: [`${t.env}/${db}`] })),
    };
  },
});

function signalCommand(verb: 'cancel' | 'kill') {
  const kind = verb === 'cancel' ? 'db.cancel' : 'db.kill';
  return defineCommand({
    name: `db ${verb}`,
    summary: verb === 'cancel'
      ? 'Cancels the running statement of a PostgreSQL backend (pg_cancel_backend); the session stays. A session idle in transaction runs no statement: end it with `db kill`. Needs approval.'
      : 'Terminates a PostgreSQL backend (pg_terminate_backend): its transaction rolls back and the client is disconnected. Needs approval.',
    examples: [`db ${verb} acme-prod/main 12345 because runaway report query`],
    minRole: 'operator',
    args: [dbArg, pidArg],
    takesReason: true,
    plan: ({ args, inventory, reason }) => {
      const t = resolveTarget(inventory, args.target as string);
      const db = t.db as string;
      const pid = args.pid as number;
      const what = verb === 'cancel' ? `cancel the statement of pid ${pid}` : `terminate the session of pid ${pid}`;
      return {
        type: 'job',
        request: kind === 'db.cancel' ? { kind: 'db.cancel', env: t.env, db, pid } : { kind: 'db.kill', env: t.env, db, pid },
        risk: verb === 'cancel' ? 'change' : 'destructive',
        env: t.env,
        targets: [`${t.env}/${db}`],
        summary: `${what} on ${t.env}/${db}${reason ? ` because ${reason}` : ''}`,
      };
    },
  });
}

export const dbCancel = signalCommand('cancel');
export const dbKill = signalCommand('kill');
