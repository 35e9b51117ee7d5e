import { usage, type ArgSpec, type Command } from '../../../commands/command.js';
import { parseCommand } from '../../../commands/parse.js';
import { plain } from '../../../cards/card-kit.js';
import { errorMessage, isUserError, UserError } from '../../core/errors.js';
import type { Alert } from '../../core/alert.js';
import { EnvironmentSchema, type Inventory } from '../../core/inventory.js';
import { placeholderValues, splitTemplate, wordText, type RoutePlaceholder, type Route, type TemplateWord } from '../../core/routes.js';
import type { JobPlan } from '../submit-job.js';

/**
 * A route's runbooks are chat command templates (`health {env}`), planned by the same `commands/` code as chat:
 * one grammar, one validation, one risk per command, whoever asks.
 *
 * A template is split into words and bound to its command once; alert values are then put into the argument
 * positions and each is checked against the schema of the argument it lands in. Nothing is pasted into a string
 * and parsed again, so a label value with a space or the word `because` cannot shift arguments.
 */

/** A template bound to its command: one template word per argument position. */
export interface CompiledRunbook {
  template: string;
  command: Command;
  args: Array<{ spec: ArgSpec; word: TemplateWord }>;
  /** The words after `because`, for commands that take a reason. */
  reason?: TemplateWord[];
}

export type RoutePlan =
  | { text: string; template: string; plan: JobPlan; command: Command }
  /**
   * Not run. `refused`: an alert value does not fit its argument (one word matching the argument's schema): the
   * alert is dead-lettered. Otherwise the alert lacks a value or the command cannot be planned (said on the card).
   */
  | { text: string; template: string; problem: string; refused?: boolean };

/** Placeholder values inside a longer word (`{env}/main`) or in a reason: plain names, so the template's separators stay its own. */
const PLAIN_VALUE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

const literalOf = (w: TemplateWord | undefined): string | undefined => (w && w.length === 1 && 'text' in w[0]! ? w[0].text : undefined);

/** Binds a template to its command and checks its arity and literal arguments. Throws UserError. */
export function compileRunbook(template: string, commands: readonly Command[]): CompiledRunbook {
  const words = splitTemplate(template);
  const because = words.findIndex((w) => literalOf(w)?.toLowerCase() === 'because');
  const head = because >= 0 ? words.slice(0, because) : words;
  const reason = because >= 0 ? words.slice(because + 1) : undefined;
  const byLength = [...commands].sort((a, b) => b.name.split(' ').length - a.name.split(' ').length);
  const command = byLength.find((c) => c.name.split(' ').every((n, i) => literalOf(head[i])?.toLowerCase() === n));
  if (!command) {
    // The chat parser words the error (with its "did you mean"); a placeholder where a command name belongs ends here too.
    parseCommand(head.map(wordText).join(' ') || template, commands);
    throw new UserError(`\`${template}\` does not start with a command name.`, 'Type `help` for the list.');
  }
  const tokens = head.slice(command.name.split(' ').length);
  if (reason !== undefined && !command.takesReason) throw new UserError(`\`${command.name}\` does not take a reason.`, `Usage: \`${usage(command)}\``);
  const required = command.args.filter((a) => !a.optional).length;
  if (tokens.length < required) {
    const missing = command.args[tokens.length];
    throw new UserError(`\`${command.name}\` needs ${missing ? `<${missing.name}> (${missing.description})` : 'more arguments'}.`, `Usage: \`${usage(command)}\``);
  }
  if (tokens.length > command.args.length) {
    throw new UserError(
      `\`${command.name}\` takes at most ${command.args.length} argument${command.args.length === 1 ? '' : 's'}; I do not know what to do with \`${tokens.slice(command.args.length).map(wordText).join(' ')}\`.`,
      `Usage: \`${usage(command)}\``,
    );
  }
  const args = tokens.map((word, i) => ({ spec: command.args[i]!, word }));
  for (const { spec, word } of args) {
    const literal = literalOf(word);
    if (literal === undefined) continue;
    const r = spec.schema.safeParse(literal);
    if (!r.success) throw new UserError(`\`${literal.slice(0, 80)}\` is not a valid ${spec.name}: ${r.error.issues[0]?.message ?? 'invalid'}.`, `Usage: \`${usage(command)}\``);
  }
  return { template, command, args, ...(reason !== undefined ? { reason } : {}) };
}

/** A value as a card may show it: quoted, clipped, markdown neutralised. */
function shown(value: string): string {
  const q = JSON.stringify(value.length > 60 ? `${value.slice(0, 59)}…` : value);
  return plain(q);
}

type Filled = { ok: true; args: Record<string, unknown>; reason?: string; text: string } | { ok: false; problem: string; refused: boolean };

/** Puts alert values into the argument positions; each value must be one word its argument's schema accepts. */
export function fillRunbook(c: CompiledRunbook, values: Record<RoutePlaceholder, string | undefined>): Filled {
  const missing = new Set<string>();
  const words: string[] = c.command.name.split(' ');
  const args: Record<string, unknown> = {};
  // `plainOnly`: the value is part of a longer word or of the reason, where no schema of its own checks it.
  const fillWord = (word: TemplateWord, label: string, plainOnly: boolean): { ok: true; text: string } | { ok: false; problem: string } | undefined => {
    let text = '';
    for (const part of word) {
      if ('text' in part) {
        text += part.text;
        continue;
      }
      const v = values[part.placeholder];
      if (v === undefined || v === '') {
        missing.add(part.placeholder);
        return undefined;
      }
      if (/\s/.test(v)) return { ok: false, problem: `{${part.placeholder}} is ${shown(v)}: one word is expected for ${label}, without spaces` };
      if (plainOnly && !PLAIN_VALUE.test(v)) return { ok: false, problem: `{${part.placeholder}} is ${shown(v)}: in ${label} it must be letters, digits, . _ - only` };
      text += v;
    }
    return { ok: true, text };
  };
  for (const { spec, word } of c.args) {
    const whole = word.length === 1 && 'placeholder' in word[0]!;
    const f = fillWord(word, `<${spec.name}>`, !whole);
    if (!f) continue;
    if (!f.ok) return { ok: false, problem: f.problem, refused: true };
    const r = spec.schema.safeParse(f.text);
    if (!r.success) {
      const from = whole ? `{${wordText(word).slice(1, -1)}} is ${shown(f.text)}` : `\`${wordText(word)}\` became ${shown(f.text)}`;
      return { ok: false, problem: `${from}, not a valid ${spec.name}: ${r.error.issues[0]?.message ?? 'invalid'}`, refused: true };
    }
    args[spec.name] = r.data;
    words.push(f.text);
  }
  let reason: string | undefined;
  if (c.reason) {
    const parts: string[] = [];
    for (const word of c.reason) {
      const f = fillWord(word, 'the reason', true);
      if (!f) continue;
      if (!f.ok) return { ok: false, problem: f.problem, refused: true };
      parts.push(f.text);
    }
    reason = parts.join(' ') || undefined;
  }
  if (missing.size) return { ok: false, problem: `the alert has no ${[...missing].join(', ')}`, refused: false };
  return { ok: true, args, ...(reason !== undefined ? { reason } : {}), text: [...words, ...(reason !== undefined ? ['because', reason] : [])].join(' ') };
}

export function planRoute(route: Route, alert: Alert, commands: readonly Command[], inventory: Inventory, receivedAt: number): RoutePlan[] {
  const values = placeholderValues(alert);
  return route.runbooks.map((template) => {
    try {
      const c = compileRunbook(template, commands);
      const filled = fillRunbook(c, values);
      if (!filled.ok) return { text: template, template, problem: filled.problem, refused: filled.refused };
      const plan = c.command.plan({ args: filled.args, reason: filled.reason, inventory, receivedAt });
      if (plan.type !== 'job') return { text: filled.text, template, problem: `\`${c.command.name}\` is answered in chat, not run as a job` };
      return { text: filled.text, template, plan, command: c.command };
    } catch (e) {
      return { text: template, template, problem: isUserError(e) ? e.message : errorMessage(e) };
    }
  });
}

// --- what a route may do -----------------------------------------------------------------------------------

/** Why this route may not act on this alert at all (its source or environment), or undefined. */
export function routeRefusal(route: Route, alert: Pick<Alert, 'source' | 'environment'>): string | undefined {
  if (route.sources && !route.sources.includes(alert.source)) {
    return `route \`${route.name}\` acts on alerts from ${route.sources.join(', ')} only; this one came from ${alert.source}`;
  }
  if (route.environments && alert.environment !== undefined && !route.environments.includes(alert.environment)) {
    return `route \`${route.name}\` may act on ${route.environments.join(', ')} only; this alert names ${shown(alert.environment)}`;
  }
  return undefined;
}

/** Why this route may not run this planned job (another environment, or a risky command on an unlisted one), or undefined. */
export function planRefusal(route: Route, plan: JobPlan): string | undefined {
  if (route.environments) {
    if (plan.env !== undefined && !route.environments.includes(plan.env)) return `route \`${route.name}\` may act on ${route.environments.join(', ')} only, not ${plan.env}`;
    return undefined;
  }
  if (plan.risk !== 'read') return `route \`${route.name}\` lists no \`environments\`, so it may not run a ${plan.risk} command`;
  return undefined;
}

// --- configuration check -------------------------------------------------------------------------------------

/**
 * An environment the startup check plans templates in, to learn their risk: a tier `app` with a JVM and an
 * instance, a database `main`. Only the placeholders point at it; literal environment names stay the configured ones.
 */
const PROBE_ENV = 'medic-route-check';
const PROBE_VALUES: Record<RoutePlaceholder, string> = { env: PROBE_ENV, target: 'i-0123456789abcdef0', service: 'medic-route-check' };
const probeEnvironment = () =>
  EnvironmentSchema.parse({
    tiers: { app: { targets: { instanceIds: [PROBE_VALUES.target] }, jvm: { process: 'medic-route-check', restart: { method: 'systemctl', unit: 'medic-route-check' } } } },
    databases: { main: { urlEnv: 'MEDIC_ROUTE_CHECK_DB_URL' } },
  });

/**
 * Config check: every template names a known command with the right arguments (literal ones valid), every
 * `environments` entry is a configured environment, and a route without `environments` runs only read-only
 * commands (learnt by planning each template in a sample environment).
 */
export function checkRoutes(routes: readonly Route[], commands: readonly Command[], inventory: Inventory = {}): string[] {
  const problems: string[] = [];
  const known = Object.keys(inventory);
  const probeInventory: Inventory = { ...inventory, [PROBE_ENV]: probeEnvironment() };
  routes.forEach((r, i) => {
    r.environments?.forEach((env, j) => {
      if (!inventory[env]) problems.push(`routes.${i}.environments.${j}: route \`${r.name}\`: no environment named \`${env}\` (known: ${known.join(', ') || 'none'})`);
    });
    r.runbooks.forEach((template, j) => {
      let c: CompiledRunbook;
      try {
        c = compileRunbook(template, commands);
      } catch (e) {
        const hint = isUserError(e) && e.hint ? ` ${e.hint}` : '';
        problems.push(`routes.${i}.runbooks.${j}: route \`${r.name}\`: \`${template}\` is not a runbook Medic knows: ${errorMessage(e)}${hint}`);
        return;
      }
      if (r.environments) return;
      const fix = 'list the environments it may act on (`environments: [acme-prod, ...]`)';
      try {
        const filled = fillRunbook(c, PROBE_VALUES);
        if (!filled.ok) throw new Error(filled.problem);
        const plan = c.command.plan({ args: filled.args, reason: filled.reason, inventory: probeInventory, receivedAt: 0 });
        if (plan.type === 'job' && plan.risk !== 'read') problems.push(`routes.${i}: route \`${r.name}\` runs \`${template}\`, a ${plan.risk} command: ${fix}`);
      } catch (e) {
        problems.push(`routes.${i}: route \`${r.name}\`: Medic cannot tell whether \`${template}\` only reads (${errorMessage(e)}): ${fix}`);
      }
    });
    if (r.mode === 'notify' && r.runbooks.length > 0) problems.push(`routes.${i}: route \`${r.name}\` is notify-only but lists runbooks; use mode diagnose or remove them`);
  });
  return problems;
}
