import { randomUUID } from 'node:crypto';
import { UserError } from '../core/errors.js';
import type { CommandRunResult, Executor, InstanceResult, RunCommandRequest } from '../core/executor.js';
import { defaultDocumentsDir, documentEnvironment, loadDocuments, stepScript, stepTimeoutSeconds, type CommandDocument } from './ssm/documents.js';
import { baseStepEnvironment, runShellStep } from './ssm/shell-step.js';

/** The instance id of this host in inventories (`targets: {instanceIds: [local]}`). */
export const LOCAL_INSTANCE_ID = 'local';

export interface LocalExecutorOptions {
  /** Where the documents live; src/runbooks/documents by default. */
  documentsDir?: string;
  /** Shell that runs the steps (`sh`, like the SSM agent). */
  shell?: string;
}

/**
 * Runs Medic's SSM documents on this host, for the demo and single-host installs: same documents, same parameter
 * validation and `SSM_<name>` environment, same statuses as SSM, so a runbook cannot tell the difference.
 */
export function createLocalExecutor(opts: LocalExecutorOptions = {}): Executor {
  let documents: Promise<Map<string, CommandDocument>> | undefined;
  const load = (): Promise<Map<string, CommandDocument>> => {
    // Loaded once; a failed load is retried on the next run instead of being cached.
    documents ??= loadDocuments(opts.documentsDir ?? defaultDocumentsDir()).catch((e: unknown) => {
      documents = undefined;
      throw e;
    });
    return documents;
  };

  return {
    async run(request: RunCommandRequest): Promise<CommandRunResult> {
      const doc = (await load()).get(request.document);
      if (!doc) throw new UserError(`There is no Medic document \`${request.document}\` on this host.`);
      if (!('instanceIds' in request.targets)) {
        throw new UserError('The local executor runs only on this host; tag targets need AWS SSM.', 'Use `targets: {instanceIds: [local]}` in the inventory.');
      }
      // Validate before running anything, exactly as SSM refuses a bad SendCommand as a whole.
      const env = { ...baseStepEnvironment(), ...documentEnvironment(doc, request.parameters) };
      const commandId = `local-${randomUUID()}`;
      const ids = [...new Set(request.targets.instanceIds)];
      const instances = await Promise.all(
        ids.map(async (instanceId): Promise<InstanceResult> => {
          if (instanceId !== LOCAL_INSTANCE_ID) {
            return { instanceId, status: 'InvalidInstance', exitCode: null, stdout: '', stderr: '', durationMs: 0, detail: `the local executor only runs on this host (\`${LOCAL_INSTANCE_ID}\`), not on ${instanceId}` };
          }
          return runDocumentOnHost(doc, env, { instanceId, timeoutSeconds: request.timeoutSeconds, signal: request.signal, shell: opts.shell });
        }),
      );
      return { commandId, instances };
    },
  };
}

export interface HostRunOptions {
  instanceId: string;
  /** Caps every step's own timeoutSeconds. */
  timeoutSeconds?: number;
  signal?: AbortSignal;
  shell?: string;
  onSpawn?: (pid: number) => void;
}

/**
 * Runs a document's steps here, pretending to be `instanceId` (AWS_SSM_INSTANCE_ID as the agent sets it, and
 * MEDIC_INSTANCE_ID), stopping at the first failing step. `env` must come from documentEnvironment().
 * Also used by the test SSM server to play each simulated instance.
 */
export async function runDocumentOnHost(doc: CommandDocument, env: Record<string, string>, opts: HostRunOptions): Promise<InstanceResult> {
  const started = Date.now();
  let stdout = '';
  let stderr = '';
  for (const step of doc.mainSteps) {
    const stepSeconds = stepTimeoutSeconds(step);
    const timeoutMs = Math.min(stepSeconds, opts.timeoutSeconds ?? stepSeconds) * 1000;
    const r = await runShellStep({
      script: stepScript(step),
      env: { ...env, AWS_SSM_INSTANCE_ID: opts.instanceId, MEDIC_INSTANCE_ID: opts.instanceId },
      timeoutMs,
      signal: opts.signal,
      shell: opts.shell,
      workingDirectory: step.inputs.workingDirectory,
      onSpawn: opts.onSpawn,
    });
    stdout += r.stdout;
    stderr += r.stderr;
    const base = { instanceId: opts.instanceId, stdout, stderr, durationMs: Date.now() - started };
    if (r.cancelled) return { ...base, status: 'Cancelled', exitCode: null, detail: `cancelled during step ${step.name}` };
    if (r.timedOut) return { ...base, status: 'TimedOut', exitCode: null, detail: `step ${step.name} ran longer than ${timeoutMs / 1000} s and was stopped` };
    if (r.spawnError) return { ...base, status: 'Failed', exitCode: null, detail: `could not start the shell: ${r.spawnError}` };
    if (r.exitCode !== 0) return { ...base, status: 'Failed', exitCode: r.exitCode, detail: `step ${step.name} exited with code ${String(r.exitCode)}${firstLine(r.stderr)}` };
  }
  return { instanceId: opts.instanceId, status: 'Success', exitCode: 0, stdout, stderr, durationMs: Date.now() - started };
}

function firstLine(stderr: string): string {
  const line = stderr.split('\n').find((l) => l.trim().length > 0);
  return line ? `: ${line.trim().slice(0, 200)}` : '';
}
