/**
 * The execution port every runbook uses to run shell steps on instances: Medic's own SSM command documents
 * (src/runbooks/documents/*.yaml), with typed parameters. Implemented by src/executors/ssm.ts (AWS SSM Run Command)
 * and src/executors/local.ts (the same documents on this host).
 */
export type CommandTargets =
  | { instanceIds: string[] }
  /** SSM tag targets, e.g. `{Env: 'acme-prod', Tier: 'app'}`. */
  | { tags: Record<string, string> };

export interface RunCommandRequest {
  /** Medic document name, e.g. `Medic-HealthCheck`. Never `AWS-RunShellScript`. */
  document: string;
  /** Typed parameters; values are validated by the document's `allowedPattern`. */
  parameters: Record<string, string>;
  targets: CommandTargets;
  /** Per-instance execution timeout. */
  timeoutSeconds: number;
  /** Aborting cancels the command (`CancelCommand` on SSM). */
  signal?: AbortSignal;
  /** Shown in the SSM console: who asked and which job. */
  comment?: string;
}

/** Per-instance outcome. `Undeliverable` covers offline instances; `InvalidInstance` an id SSM does not know. */
export type InstanceStatus =
  | 'Success'
  | 'Failed'
  | 'TimedOut'
  | 'Cancelled'
  | 'Undeliverable'
  | 'InvalidInstance'
  | 'Terminated';

export interface InstanceResult {
  instanceId: string;
  status: InstanceStatus;
  /** null when the step never ran. */
  exitCode: number | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  /** Explanation for a non-success status, in words a person understands. */
  detail?: string;
}

export interface CommandRunResult {
  /** SSM command id (or a local id), recorded in audit. */
  commandId: string;
  instances: InstanceResult[];
}

export interface Executor {
  run(request: RunCommandRequest): Promise<CommandRunResult>;
}
