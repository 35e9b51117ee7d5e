import { z } from 'zod';
import { defineCommand } from './command.js';

const word = z.string().max(40);

export const help = defineCommand({
  name: 'help',
  summary: 'Lists the commands you may run; `help <command>` shows its usage and examples.',
  examples: ['help', 'help health', 'help db health'],
  minRole: 'viewer',
  // Command names have up to three words (`db health`), so help takes up to three.
  args: [
    { name: 'command', optional: true, description: 'a command name', schema: word },
    { name: 'word2', optional: true, description: 'second word of a command name', schema: word },
    { name: 'word3', optional: true, description: 'third word of a command name', schema: word },
  ],
  plan: ({ args }) => {
    const command = [args.command, args.word2, args.word3].filter((w): w is string => typeof w === 'string').join(' ');
    return { type: 'local', action: { kind: 'help', command: command || undefined } };
  },
});
