import { z } from 'zod';
import { UserError } from '../src/core/errors.js';
import type { Role, Risk } from '../src/core/identity.js';
import type { Environment, Inventory } from '../src/core/inventory.js';
import type { JobRequest } from '../src/core/jobs.js';

/**
 * One chat command: its grammar, help text, role and risk, and how it becomes a JobRequest. Pure: no I/O.
 * `help` is generated from `summary`, `usage` and `examples`.
 */
export interface ArgSpec {
  name: string;
  /** zod schema for the token; its error message is what the person reads. */
  schema: z.ZodType<unknown>;
  optional?: boolean;
  /** Help text for this argument. */
  description: string;
}

export interface CommandInput {
  /** Positional arguments by name, validated by their schemas. */
  args: Record<string, unknown>;
  /** Free text after `because`, the reason a person gives for a risky action. */
  reason?: string;
  inventory: Inventory;
  /** When the request reached Medic (ms since epoch). */
  receivedAt: number;
}

/** What parsing a command produced: a job to run, or an answer computed at once (help, jobs). */
export type CommandPlan =
  | {
      type: 'job';
      request: JobRequest;
      risk: Risk;
      env?: string;
      targets?: string[];
      summary: string;
      /**
       * Child jobs run first, in parallel on any worker (a BullMQ flow); the parent then runs with their results
       * (`ctx.childResults`) and posts one summary. Children post nothing themselves.
       */
      children?: Array<{ key: string; request: JobRequest; targets?: string[] }>;
    }
  | { type: 'local'; action: LocalAction };

/** Commands answered by the inbound stage itself, without a runbook. */
export type LocalAction =
  | { kind: 'help'; command?: string }
  | { kind: 'job'; jobId: string }
  | { kind: 'jobs' }
  | { kind: 'envs' }
  | { kind: 'approvals' }
  | { kind: 'cancel'; jobId: string }
  | { kind: 'audit'; env?: string; limit: number };

export interface Command {
  /** The words that name it, e.g. `jvm threads`. */
  name: string;
  summary: string;
  examples: string[];
  minRole: Role;
  args: ArgSpec[];
  /** Accepts `... because <reason>`. */
  takesReason?: boolean;
  plan(input: CommandInput): CommandPlan;
}

export function defineCommand(c: Command): Command {
  return c;
}

export function usage(c: Command): string {
  const parts = c.args.map((a) => (a.optional ? `[${a.name}]` : `<${a.name}>`));
  return [c.name, ...parts, ...(c.takesReason ? ['[because <reason>]'] : [])].join(' ');
}

// --- shared argument schemas: the only way chat text reaches a job, so they are strict (no shell metacharacters).

export const envArg = (description = 'environment, as listed by `envs`'): ArgSpec => ({
  name: 'env',
  description,
  schema: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'an environment name is lower-case letters, digits and - (see `envs`)'),
});

export const nameArg = (name: string, description: string, optional = false): ArgSpec => ({
  name,
  description,
  optional,
  schema: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, `${name} is letters, digits, . _ - (no spaces or shell characters)`),
});

export const intArg = (name: string, description: string, min: number, max: number): ArgSpec => ({
  name,
  description,
  optional: true,
  schema: z.coerce.number().int(`${name} must be a whole number`).min(min, `${name} must be at least ${min}`).max(max, `${name} must be at most ${max}`),
});

/** Looks the environment up, with a clear error listing the known ones. */
export function requireEnv(inventory: Inventory, name: string): Environment {
  const env = inventory[name];
  if (!env) {
    const known = Object.keys(inventory);
    throw new UserError(
      `There is no environment \`${name}\`.`,
      known.length ? `Known environments: ${known.slice(0, 20).join(', ')}. Type \`envs\` for details.` : 'No environments are configured yet (`environments:` in the config file).',
    );
  }
  return env;
}
