import type { Command } from '../../../commands/command.js';
import { parseCommand } from '../../../commands/parse.js';
import { errorMessage, isUserError } from '../../core/errors.js';
import type { Alert } from '../../core/alert.js';
import type { Inventory } from '../../core/inventory.js';
import { fillTemplate, type Route } from '../../core/routes.js';
import type { JobPlan } from '../submit-job.js';

/**
 * A route's runbooks are chat command templates (`health {env}`), planned by the same `commands/` code as chat:
 * one grammar, one validation, one risk per command, whoever asks.
 */

export type RoutePlan = { text: string; template: string; plan: JobPlan; command: Command } | { text: string; template: string; problem: string };

export function planRoute(route: Route, alert: Alert, commands: readonly Command[], inventory: Inventory, receivedAt: number): RoutePlan[] {
  return route.runbooks.map((template) => {
    const { text, missing } = fillTemplate(template, alert);
    if (missing.length) return { text, template, problem: `the alert has no ${missing.join(', ')}` };
    try {
      const { command, input } = parseCommand(text, commands);
      const plan = command.plan({ ...input, inventory, receivedAt });
      if (plan.type !== 'job') return { text, template, problem: `\`${command.name}\` is answered in chat, not run as a job` };
      return { text, template, plan, command };
    } catch (e) {
      return { text, template, problem: isUserError(e) ? e.message : errorMessage(e) };
    }
  });
}

/**
 * Config check: every template names a known command with the right number of arguments. Placeholders are
 * replaced by a sample value that every argument pattern accepts, so only the command name and arity are judged.
 */
export function checkRoutes(routes: readonly Route[], commands: readonly Command[]): string[] {
  const problems: string[] = [];
  routes.forEach((r, i) => {
    r.runbooks.forEach((template, j) => {
      const sample = template.replace(/\{[a-z]+\}/g, 'sample');
      try {
        parseCommand(sample, commands);
      } catch (e) {
        const hint = isUserError(e) && e.hint ? ` ${e.hint}` : '';
        problems.push(`routes.${i}.runbooks.${j}: route \`${r.name}\`: \`${template}\` is not a runbook Medic knows: ${errorMessage(e)}${hint}`);
      }
    });
    if (r.mode === 'notify' && r.runbooks.length > 0) problems.push(`routes.${i}: route \`${r.name}\` is notify-only but lists runbooks; use mode diagnose or remove them`);
  });
  return problems;
}
