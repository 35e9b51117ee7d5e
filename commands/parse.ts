import { closest, distance } from 'fastest-levenshtein';
import { UserError } from '../src/core/errors.js';
import { usage, type Command, type CommandInput } from './command.js';

export interface ParsedCommand {
  command: Command;
  input: Omit<CommandInput, 'inventory' | 'receivedAt'>;
}

const MAX_TEXT = 2000;

/** Turns what a person typed (mention already stripped) into a command and validated arguments. */
export function parseCommand(text: string, commands: readonly Command[]): ParsedCommand {
  const clean = text.replace(/[\u00a0\u200b]/g, ' ').trim();
  if (clean.length === 0) throw new UserError('I got an empty message.', 'Type `help` to see what I can do.');
  if (clean.length > MAX_TEXT) throw new UserError(`That message is ${clean.length} characters; commands are at most ${MAX_TEXT}.`);
  let words = clean.split(/\s+/);
  let reason: string | undefined;
  const because = words.findIndex((w) => w.toLowerCase() === 'because');
  if (because >= 0) {
    reason = words.slice(because + 1).join(' ').trim() || undefined;
    words = words.slice(0, because);
  }
  const lower = words.map((w) => w.toLowerCase());
  // Longest name first, so `jvm threads` wins over a hypothetical `jvm`.
  const byLength = [...commands].sort((a, b) => b.name.split(' ').length - a.name.split(' ').length);
  const command = byLength.find((c) => {
    const n = c.name.split(' ');
    return n.every((w, i) => lower[i] === w);
  });
  if (!command) throw unknownCommand(lower.slice(0, 2).join(' '), commands);
  const tokens = words.slice(command.name.split(' ').length);
  if (reason !== undefined && !command.takesReason) {
    throw new UserError(`\`${command.name}\` does not take a reason.`, `Usage: \`${usage(command)}\``);
  }
  const args: Record<string, unknown> = {};
  const required = command.args.filter((a) => !a.optional).length;
  if (tokens.length < required) {
    const missing = command.args[tokens.length];
    throw new UserError(`\`${command.name}\` needs ${missing ? `<${missing.name}> (${missing.description})` : 'more arguments'}.`, `Usage: \`${usage(command)}\``);
  }
  if (tokens.length > command.args.length) {
    throw new UserError(`\`${command.name}\` takes at most ${command.args.length} argument${command.args.length === 1 ? '' : 's'}; I do not know what to do with \`${tokens.slice(command.args.length).join(' ')}\`.`, `Usage: \`${usage(command)}\``);
  }
  command.args.forEach((spec, i) => {
    const token = tokens[i];
    if (token === undefined) return;
    const r = spec.schema.safeParse(token);
    if (!r.success) {
      throw new UserError(`\`${token.slice(0, 80)}\` is not a valid ${spec.name}: ${r.error.issues[0]?.message ?? 'invalid'}.`, `Usage: \`${usage(command)}\``);
    }
    args[spec.name] = r.data;
  });
  return { command, input: { args, reason } };
}

function unknownCommand(typed: string, commands: readonly Command[]): UserError {
  const names = commands.map((c) => c.name);
  const first = typed.split(' ')[0] ?? '';
  // Compare against the same number of words as each command name.
  const candidates = names.map((n) => ({ n, d: distance(typed.split(' ').slice(0, n.split(' ').length).join(' '), n) }));
  candidates.sort((a, b) => a.d - b.d);
  const best = candidates[0];
  const suggestion = best && best.d <= Math.max(2, Math.floor(best.n.length / 3)) ? best.n : closest(first, names);
  return new UserError(`I do not know the command \`${typed.slice(0, 60)}\`.`, `Did you mean \`${suggestion}\`? Type \`help\` for the list.`);
}
