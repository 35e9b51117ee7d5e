import type { Command } from '../../commands/command.js';
import type { CardMessage } from '../../cards/card-kit.js';
import { commandHelpCard, helpCard } from '../../cards/help-card.js';
import { UserError } from '../core/errors.js';
import { hasRole } from '../core/identity.js';
import { roleOf, type AccessConfig } from './access.js';

/** `help` and `help <command>`, for chat and the CLI alike: the list is filtered by what this person may run. */
export function helpAnswer(commands: readonly Command[], access: AccessConfig, who: { email: string; displayName?: string }, wanted?: string): CardMessage {
  const role = roleOf(access, who.email);
  if (wanted) {
    const name = wanted.toLowerCase().trim();
    const c = commands.find((x) => x.name === name) ?? commands.find((x) => x.name.startsWith(name));
    if (!c) throw new UserError(`There is no command \`${wanted}\`.`, 'Type `help` for the list.');
    return commandHelpCard(c, hasRole(role, c.minRole));
  }
  return helpCard(commands.filter((c) => hasRole(role, c.minRole) || c.name === 'help'), who.displayName ?? who.email);
}
