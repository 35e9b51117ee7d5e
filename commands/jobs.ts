import { z } from 'zod';
import { defineCommand } from './command.js';

export const job = defineCommand({
  name: 'job',
  summary: "Shows a job's state, who asked, timings and result summary.",
  examples: ['job r-NggQET23Khrn'],
  minRole: 'viewer',
  args: [{ name: 'id', description: 'the job id shown on a result card', schema: z.string().regex(/^[A-Za-z0-9:_-]{1,200}$/, 'a job id as shown on a card') }],
  plan: ({ args }) => ({ type: 'local', action: { kind: 'job', jobId: args.id as string } }),
});

export const jobs = defineCommand({
  name: 'jobs',
  summary: 'Lists the last 10 jobs of this space.',
  examples: ['jobs'],
  minRole: 'viewer',
  args: [],
  plan: () => ({ type: 'local', action: { kind: 'jobs' } }),
});
