import { UserError } from '../core/errors.js';
import type { CommandRunResult, Executor, RunCommandRequest } from '../core/executor.js';

/** The instance id that means "this host" in inventories. */
const LOCAL = 'local';

/**
 * Sends `local` to the local executor and every other target to SSM, in parallel, and merges the answers, so one
 * inventory can mix this host (demo, single-host installs) with EC2 instances.
 */
export function createRoutingExecutor(parts: { local: Executor; ssm?: Executor }): Executor {
  const ssmOrFail = (): Executor => {
    if (!parts.ssm) {
      throw new UserError('These targets need AWS SSM, which this Medic is not configured for.', 'Set AWS credentials and a region (AWS_REGION) for the worker, or target `local` only.');
    }
    return parts.ssm;
  };
  return {
    async run(request: RunCommandRequest): Promise<CommandRunResult> {
      if (!('instanceIds' in request.targets)) return ssmOrFail().run(request);
      const ids = request.targets.instanceIds;
      const local = ids.filter((id) => id === LOCAL);
      const remote = ids.filter((id) => id !== LOCAL);
      if (remote.length === 0) return parts.local.run(request);
      if (local.length === 0) return ssmOrFail().run(request);
      const ssm = ssmOrFail();
      const [l, r] = await Promise.all([parts.local.run({ ...request, targets: { instanceIds: local } }), ssm.run({ ...request, targets: { instanceIds: remote } })]);
      return { commandId: [l.commandId, r.commandId].filter(Boolean).join(','), instances: [...l.instances, ...r.instances] };
    },
  };
}
