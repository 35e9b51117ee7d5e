import { defineCommand } from './command.js';

export const envs = defineCommand({
  name: 'envs',
  summary: 'Lists the environments you may see, with their tiers and databases.',
  examples: ['envs'],
  minRole: 'viewer',
  args: [],
  plan: () => ({ type: 'local', action: { kind: 'envs' } }),
});
