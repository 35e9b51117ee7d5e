import { z } from 'zod';
import { defineCommand } from './command.js';

export const help = defineCommand({
  name: 'help',
  summary: 'Lists the commands you may run; `help <command>` shows its usage and examples.',
  examples: ['help', 'help health', 'help jvm threads'],
  minRole: 'viewer',
  args: [{ name: 'command', optional: true, description: 'a command name', schema: z.string().max(60) }],
  plan: ({ args }) => ({ type: 'local', action: { kind: 'help', command: args.command as string | undefined } }),
});
