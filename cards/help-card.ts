import type { Command } from '../commands/command.js';
import { usage } from '../commands/command.js';
import { adaptiveCard, facts, heading, mono, text, title, type CardMessage } from './card-kit.js';

/** The list of commands this person may run, generated from `commands/`. */
export function helpCard(commands: readonly Command[], who: string): CardMessage {
  const lines = commands.map((c) => `**${usage(c)}**  \n${c.summary}`);
  return {
    text: `Commands you may run: ${commands.map((c) => c.name).join(', ')}. Type "help <command>" for details.`,
    card: adaptiveCard([
      ...title('Medic: what I can do for you', `Commands ${who} may run. Type \`help <command>\` for usage and examples.`),
      ...lines.map((l) => text(l, { spacing: 'Small' })),
      text('In a group space, mention me first: `@Medic health acme-prod`.', { isSubtle: true, size: 'Small', spacing: 'Medium' }),
    ]),
  };
}

/** Usage, arguments and examples of one command. */
export function commandHelpCard(c: Command, allowed: boolean): CardMessage {
  return {
    text: `${usage(c)}: ${c.summary}`,
    card: adaptiveCard([
      ...title(`help: ${c.name}`, c.summary),
      heading('Usage'),
      mono(usage(c)),
      ...(c.args.length ? [heading('Arguments'), facts(c.args.map((a) => [a.optional ? `[${a.name}]` : `<${a.name}>`, a.description]))] : []),
      heading('Examples'),
      mono(c.examples.join('\n')),
      facts([['Needs role', c.minRole]]),
      ...(allowed ? [] : [text(`⚠️ You cannot run this command: it needs the ${c.minRole} role.`, { color: 'Warning' })]),
    ]),
  };
}
