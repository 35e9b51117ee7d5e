import { defineCommand } from './command.js';

export const ping = defineCommand({
  name: 'ping',
  summary: 'Checks the whole path (queue, worker, reply) and shows the round trip.',
  examples: ['ping'],
  minRole: 'viewer',
  args: [],
  plan: ({ receivedAt }) => ({ type: 'job', request: { kind: 'system.ping', receivedAt }, risk: 'read', summary: 'ping' }),
});
