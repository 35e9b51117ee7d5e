import { z } from 'zod';
import { defineCommand, envArg, intArg } from './command.js';

const jobIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,200}$/, 'a job id as shown on a card (e.g. r-NggQET23Khrn)');

export const approvals = defineCommand({
  name: 'approvals',
  summary: 'Lists the requests waiting for your approval.',
  examples: ['approvals'],
  minRole: 'operator',
  args: [],
  plan: () => ({ type: 'local', action: { kind: 'approvals' } }),
});

export const cancel = defineCommand({
  name: 'cancel',
  summary: 'Withdraws a pending approval, or stops a queued or running job (requester or admin).',
  examples: ['cancel r-NggQET23Khrn'],
  minRole: 'viewer',
  args: [{ name: 'job', description: 'the job id shown on its card', schema: jobIdSchema }],
  plan: ({ args }) => ({ type: 'local', action: { kind: 'cancel', jobId: args.job as string } }),
});

export const audit = defineCommand({
  name: 'audit',
  summary: 'Shows the audit trail: requests, decisions, jobs (admins).',
  examples: ['audit', 'audit acme-prod', 'audit acme-prod 50'],
  minRole: 'admin',
  args: [{ ...envArg('only this environment'), optional: true }, intArg('n', 'how many entries (default 20)', 1, 200)],
  plan: ({ args }) => ({ type: 'local', action: { kind: 'audit', env: args.env as string | undefined, limit: (args.n as number | undefined) ?? 20 } }),
});
