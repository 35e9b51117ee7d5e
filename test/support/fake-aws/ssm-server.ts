import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runDocumentOnHost } from '../../../src/executors/local.js';
import { documentEnvironment, InvalidParametersError, parseCommandDocument, sha256, type CommandDocument } from '../../../src/executors/ssm/documents.js';
import { baseStepEnvironment } from '../../../src/executors/ssm/shell-step.js';
import { FakeS3Store } from './s3-store.js';

/**
 * A loopback AWS SSM (JSON 1.1, `X-Amz-Target: AmazonSSM.*`) + S3 subset for tests and the bench. The real SDK
 * clients talk to it over HTTP. SendCommand REALLY runs the document's step on this host once per simulated instance
 * (MEDIC_INSTANCE_ID / AWS_SSM_INSTANCE_ID tell the script who it is), and faults can be injected: throttling,
 * offline instances, unknown instance ids, an agent that never reports, eventual consistency.
 * Not a mock of our code: a protocol peer, like the real service but on 127.0.0.1.
 */

export const INLINE_STDOUT_LIMIT = 24_000;
export const INLINE_STDERR_LIMIT = 8_000;
/** ListCommandInvocations(Details) carries only a short excerpt per plugin. */
export const LIST_OUTPUT_LIMIT = 2_500;

export interface FakeInstance {
  id: string;
  tags: Record<string, string>;
}

export interface FakeSsmOptions {
  /** Registered instances (ids, or ids with tags). */
  instances?: Array<string | FakeInstance>;
  /** Documents present from the start, as if `medic ssm sync` had run. */
  documentsDirs?: string[];
  /** How many simulated instances run their step at once on this host. */
  maxParallel?: number;
  shell?: string;
}

type InvocationStatus = 'Pending' | 'InProgress' | 'Delayed' | 'Success' | 'Cancelled' | 'TimedOut' | 'Failed' | 'Cancelling';
const TERMINAL: ReadonlySet<InvocationStatus> = new Set(['Success', 'Cancelled', 'TimedOut', 'Failed']);

interface FakeInvocation {
  commandId: string;
  instanceId: string;
  status: InvocationStatus;
  statusDetails: string;
  responseCode: number;
  stdout: string;
  stderr: string;
  requested: Date;
  started?: Date;
  ended?: Date;
  abort: AbortController;
  /** GetCommandInvocation answers InvocationDoesNotExist this many more times (eventual consistency). */
  lag: number;
  stdoutUrl: string;
  stderrUrl: string;
}

interface FakeCommand {
  commandId: string;
  documentName: string;
  documentVersion: string;
  comment: string;
  parameters: Record<string, string[]>;
  instanceIds: string[];
  targets: Array<{ Key: string; Values: string[] }>;
  requested: Date;
  outputS3BucketName?: string;
  outputS3KeyPrefix?: string;
  timeoutSeconds: number;
  stepName: string;
  invocations: Map<string, FakeInvocation>;
}

interface StoredDocument {
  name: string;
  versions: Array<{ content: string; hash: string; format: string; created: Date; parsed: CommandDocument }>;
  defaultVersion: number;
}

export type OfflineMode = 'Undeliverable' | 'DeliveryTimedOut';

export interface FakeSsmFaults {
  /** The next `n` calls (of these operations, or any) answer ThrottlingException. */
  throttleNext(n: number, operations?: string[]): void;
  /** The instance is registered but its agent is offline. */
  offline(instanceId: string, mode?: OfflineMode): void;
  /** The agent takes the command and never reports back (InProgress until cancelled). */
  hang(instanceId: string): void;
  /** Each new invocation is invisible to GetCommandInvocation for its first `n` calls. */
  invocationLag(n: number): void;
  clear(): void;
}

export interface FakeSsmServer {
  endpoint: string;
  s3: FakeS3Store;
  /** API calls by operation (`SendCommand`, `S3.GetObject`, ...), throttled ones included. */
  readonly calls: Map<string, number>;
  totalCalls(): number;
  resetCalls(): void;
  faults: FakeSsmFaults;
  addInstance(instance: string | FakeInstance): void;
  documents: Map<string, StoredDocument>;
  commands: Map<string, FakeCommand>;
  /** `step-started` {commandId, instanceId, pid}, `invocation-done` {commandId, instanceId, status}. */
  events: EventEmitter;
  close(): Promise<void>;
}

/** `n` well-formed, distinct EC2 instance ids. */
export function fakeInstanceIds(n: number, seed = 0): string[] {
  return Array.from({ length: n }, (_, i) => `i-${(seed * 1000 + i + 1).toString(16).padStart(17, '0')}`);
}

class AwsError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const epoch = (d: Date): number => d.getTime() / 1000;

export async function startFakeSsm(opts: FakeSsmOptions = {}): Promise<FakeSsmServer> {
  const instances = new Map<string, FakeInstance>();
  const addInstance = (i: string | FakeInstance): void => {
    const inst = typeof i === 'string' ? { id: i, tags: {} } : i;
    instances.set(inst.id, inst);
  };
  (opts.instances ?? []).forEach(addInstance);
  const documents = new Map<string, StoredDocument>();
  const commands = new Map<string, FakeCommand>();
  const calls = new Map<string, number>();
  const events = new EventEmitter();
  const s3 = new FakeS3Store();
  const offline = new Map<string, OfflineMode>();
  const hanging = new Set<string>();
  let throttle = { remaining: 0, operations: undefined as string[] | undefined };
  let lagPerInvocation = 0;
  let endpoint = '';

  const storeDocument = (name: string, content: string, format: string): StoredDocument => {
    const parsed = parseCommandDocument(name, content, { medicPolicy: false });
    const entry = { content, hash: sha256(content), format, created: new Date(), parsed };
    const existing = documents.get(name);
    if (existing) {
      existing.versions.push(entry);
      return existing;
    }
    const doc = { name, versions: [entry], defaultVersion: 1 };
    documents.set(name, doc);
    return doc;
  };
  for (const dir of opts.documentsDirs ?? []) {
    for (const f of (await readdir(dir)).filter((x) => /\.ya?ml$/.test(x))) storeDocument(f.replace(/\.ya?ml$/, ''), await readFile(join(dir, f), 'utf8'), 'YAML');
  }

  // --- a small run queue: simulated instances share this host's cores
  const maxParallel = opts.maxParallel ?? 8;
  let running = 0;
  const queue: Array<() => Promise<void>> = [];
  const pump = (): void => {
    while (running < maxParallel && queue.length > 0) {
      const job = queue.shift()!;
      running++;
      void job().finally(() => {
        running--;
        pump();
      });
    }
  };

  const description = (doc: StoredDocument, version?: number): Record<string, unknown> => {
    const v = version ?? doc.defaultVersion;
    const ver = doc.versions[v - 1]!;
    return {
      Name: doc.name,
      DocumentVersion: String(v),
      LatestVersion: String(doc.versions.length),
      DefaultVersion: String(doc.defaultVersion),
      Hash: ver.hash,
      HashType: 'Sha256',
      Status: 'Active',
      DocumentType: 'Command',
      DocumentFormat: ver.format,
      SchemaVersion: '2.2',
      CreatedDate: epoch(ver.created),
      Description: ver.parsed.description,
      PlatformTypes: ['Linux'],
      Parameters: Object.entries(ver.parsed.parameters).map(([Name, p]) => ({ Name, Type: p.type, Description: p.description, DefaultValue: p.default === undefined ? undefined : String(p.default) })),
    };
  };

  const requireDoc = (name: unknown): StoredDocument => {
    const d = typeof name === 'string' ? documents.get(name) : undefined;
    if (!d) throw new AwsError('InvalidDocument', `Document ${String(name)} does not exist.`);
    return d;
  };

  const versionOf = (doc: StoredDocument, v: unknown): number => {
    if (v === undefined || v === '$DEFAULT') return doc.defaultVersion;
    if (v === '$LATEST') return doc.versions.length;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > doc.versions.length) throw new AwsError('InvalidDocumentVersion', `Document ${doc.name} has no version ${String(v)}.`);
    return n;
  };

  const finish = (cmd: FakeCommand, inv: FakeInvocation, status: InvocationStatus, details: string, code: number, stdout = '', stderr = ''): void => {
    inv.status = status;
    inv.statusDetails = details;
    inv.responseCode = code;
    inv.stdout = stdout;
    inv.stderr = stderr;
    inv.ended = new Date();
    if (cmd.outputS3BucketName && (stdout || stderr)) {
      const key = (stream: string): string => [cmd.outputS3KeyPrefix, cmd.commandId, inv.instanceId, 'awsrunShellScript', cmd.stepName, stream].filter(Boolean).join('/');
      // Like the agent: the full output goes to S3, only the start stays inline.
      if (stdout) {
        s3.put(cmd.outputS3BucketName, key('stdout'), stdout);
        inv.stdoutUrl = `${endpoint}/${cmd.outputS3BucketName}/${key('stdout')}`;
      }
      if (stderr) {
        s3.put(cmd.outputS3BucketName, key('stderr'), stderr);
        inv.stderrUrl = `${endpoint}/${cmd.outputS3BucketName}/${key('stderr')}`;
      }
    }
    events.emit('invocation-done', { commandId: cmd.commandId, instanceId: inv.instanceId, status });
  };

  const start = (cmd: FakeCommand, inv: FakeInvocation, doc: CommandDocument, env: Record<string, string>): void => {
    const mode = offline.get(inv.instanceId);
    if (mode) {
      // Terminal on the next tick, so a poller first sees Pending like it would for a real offline agent.
      setImmediate(() => {
        if (TERMINAL.has(inv.status)) return;
        if (mode === 'Undeliverable') finish(cmd, inv, 'Failed', 'Undeliverable', -1);
        else finish(cmd, inv, 'TimedOut', 'Delivery Timed Out', -1);
      });
      return;
    }
    if (hanging.has(inv.instanceId)) {
      inv.status = 'InProgress';
      inv.statusDetails = 'InProgress';
      inv.started = new Date();
      return;
    }
    queue.push(async () => {
      if (inv.abort.signal.aborted) return;
      inv.status = 'InProgress';
      inv.statusDetails = 'InProgress';
      inv.started = new Date();
      const r = await runDocumentOnHost(doc, env, {
        instanceId: inv.instanceId,
        signal: inv.abort.signal,
        shell: opts.shell,
        onSpawn: (pid) => events.emit('step-started', { commandId: cmd.commandId, instanceId: inv.instanceId, pid }),
      });
      if (r.status === 'Success') finish(cmd, inv, 'Success', 'Success', 0, r.stdout, r.stderr);
      else if (r.status === 'Cancelled') finish(cmd, inv, 'Cancelled', 'Cancelled', -1, r.stdout, r.stderr);
      else if (r.status === 'TimedOut') finish(cmd, inv, 'TimedOut', 'Execution Timed Out', -1, r.stdout, r.stderr);
      else finish(cmd, inv, 'Failed', 'Failed', r.exitCode ?? 1, r.stdout, r.stderr);
    });
    pump();
  };

  const commandStatus = (cmd: FakeCommand): Record<string, unknown> => {
    const invs = [...cmd.invocations.values()];
    const done = invs.filter((i) => TERMINAL.has(i.status));
    const errors = done.filter((i) => i.status !== 'Success' && i.statusDetails !== 'Delivery Timed Out');
    const status = invs.length === 0 ? 'Success' : done.length < invs.length ? (invs.some((i) => i.status === 'Cancelling') ? 'Cancelling' : 'InProgress') : invs.every((i) => i.status === 'Cancelled') ? 'Cancelled' : errors.length > 0 ? 'Failed' : 'Success';
    return {
      CommandId: cmd.commandId,
      DocumentName: cmd.documentName,
      DocumentVersion: cmd.documentVersion,
      Comment: cmd.comment,
      Parameters: cmd.parameters,
      InstanceIds: cmd.instanceIds,
      Targets: cmd.targets,
      RequestedDateTime: epoch(cmd.requested),
      Status: status,
      StatusDetails: status,
      OutputS3BucketName: cmd.outputS3BucketName,
      OutputS3KeyPrefix: cmd.outputS3KeyPrefix,
      MaxConcurrency: '50',
      MaxErrors: '100%',
      TargetCount: invs.length,
      CompletedCount: done.length,
      ErrorCount: errors.length,
      DeliveryTimedOutCount: done.filter((i) => i.statusDetails === 'Delivery Timed Out').length,
      TimeoutSeconds: cmd.timeoutSeconds,
    };
  };

  const requireCommand = (id: unknown): FakeCommand => {
    const c = typeof id === 'string' ? commands.get(id) : undefined;
    if (!c) throw new AwsError('InvalidCommandId', `Command ${String(id)} does not exist.`);
    return c;
  };

  type Input = Record<string, unknown>;
  const ops: Record<string, (input: Input) => unknown> = {
    CreateDocument: (input) => {
      const name = String(input.Name);
      if (documents.has(name)) throw new AwsError('DocumentAlreadyExists', `Document ${name} already exists.`);
      try {
        return { DocumentDescription: description(storeDocument(name, String(input.Content), String(input.DocumentFormat ?? 'JSON'))) };
      } catch (e) {
        throw new AwsError('InvalidDocumentContent', e instanceof Error ? e.message : String(e));
      }
    },
    UpdateDocument: (input) => {
      const doc = requireDoc(input.Name);
      if (input.DocumentVersion !== '$LATEST' && Number(input.DocumentVersion) !== doc.versions.length) {
        throw new AwsError('InvalidDocumentVersion', 'UpdateDocument must name the latest version ($LATEST).');
      }
      const content = String(input.Content);
      if (doc.versions[doc.versions.length - 1]!.hash === sha256(content)) throw new AwsError('DuplicateDocumentContent', 'The content of the association document matches another document.');
      try {
        storeDocument(doc.name, content, String(input.DocumentFormat ?? 'JSON'));
      } catch (e) {
        throw new AwsError('InvalidDocumentContent', e instanceof Error ? e.message : String(e));
      }
      return { DocumentDescription: description(doc, doc.versions.length) };
    },
    UpdateDocumentDefaultVersion: (input) => {
      const doc = requireDoc(input.Name);
      doc.defaultVersion = versionOf(doc, input.DocumentVersion);
      return { Description: { Name: doc.name, DefaultVersion: String(doc.defaultVersion) } };
    },
    DescribeDocument: (input) => {
      const doc = requireDoc(input.Name);
      return { Document: description(doc, versionOf(doc, input.DocumentVersion)) };
    },
    GetDocument: (input) => {
      const doc = requireDoc(input.Name);
      const v = versionOf(doc, input.DocumentVersion);
      const ver = doc.versions[v - 1]!;
      return { Name: doc.name, DocumentVersion: String(v), Content: ver.content, DocumentFormat: ver.format, DocumentType: 'Command', Status: 'Active' };
    },
    DescribeInstanceInformation: (input) => {
      const wanted = new Set<string>();
      for (const f of (input.Filters as Array<{ Key: string; Values: string[] }> | undefined) ?? []) if (f.Key === 'InstanceIds') f.Values.forEach((v) => wanted.add(v));
      for (const f of (input.InstanceInformationFilterList as Array<{ key: string; valueSet: string[] }> | undefined) ?? []) if (f.key === 'InstanceIds') f.valueSet.forEach((v) => wanted.add(v));
      const list = [...instances.values()].filter((i) => wanted.size === 0 || wanted.has(i.id));
      return {
        InstanceInformationList: list.map((i) => ({ InstanceId: i.id, PingStatus: offline.has(i.id) ? 'ConnectionLost' : 'Online', PlatformType: 'Linux', ResourceType: 'EC2Instance', ComputerName: i.id, LastPingDateTime: epoch(new Date()) })),
      };
    },
    SendCommand: (input) => {
      const stored = requireDoc(input.DocumentName);
      const version = versionOf(stored, input.DocumentVersion);
      const doc = stored.versions[version - 1]!.parsed;
      const rawParams = (input.Parameters as Record<string, string[]> | undefined) ?? {};
      let env: Record<string, string>;
      try {
        env = { ...baseStepEnvironment(), ...documentEnvironment(doc, Object.fromEntries(Object.entries(rawParams).map(([k, v]) => [k, v.join('\n')]))) };
      } catch (e) {
        if (e instanceof InvalidParametersError) throw new AwsError('InvalidParameters', e.message);
        throw e;
      }
      const ids = (input.InstanceIds as string[] | undefined) ?? [];
      const targets = (input.Targets as Array<{ Key: string; Values: string[] }> | undefined) ?? [];
      if (ids.length > 50) throw new AwsError('ValidationException', `1 validation error detected: Value at 'instanceIds' failed to satisfy constraint: Member must have length less than or equal to 50`);
      if (ids.length === 0 && targets.length === 0) throw new AwsError('InvalidParameters', 'Specify InstanceIds or Targets.');
      const unknown = ids.filter((id) => !instances.has(id));
      if (unknown.length > 0) throw new AwsError('InvalidInstanceId', `Instances [[${unknown.join(', ')}]] not in a valid state for account`);
      const resolved = ids.length > 0 ? ids : [...instances.values()].filter((i) => targets.every((t) => matchesTarget(i, t))).map((i) => i.id);
      const cmd: FakeCommand = {
        commandId: randomUUID(),
        documentName: stored.name,
        documentVersion: String(version),
        comment: String(input.Comment ?? ''),
        parameters: rawParams,
        instanceIds: ids,
        targets,
        requested: new Date(),
        outputS3BucketName: input.OutputS3BucketName as string | undefined,
        outputS3KeyPrefix: input.OutputS3KeyPrefix as string | undefined,
        timeoutSeconds: Number(input.TimeoutSeconds ?? 3600),
        stepName: doc.mainSteps[0]!.name,
        invocations: new Map(),
      };
      commands.set(cmd.commandId, cmd);
      for (const id of resolved) {
        const inv: FakeInvocation = { commandId: cmd.commandId, instanceId: id, status: 'Pending', statusDetails: 'Pending', responseCode: -1, stdout: '', stderr: '', requested: new Date(), abort: new AbortController(), lag: lagPerInvocation, stdoutUrl: '', stderrUrl: '' };
        cmd.invocations.set(id, inv);
        start(cmd, inv, doc, env);
      }
      return { Command: commandStatus(cmd) };
    },
    GetCommandInvocation: (input) => {
      const cmd = requireCommand(input.CommandId);
      const inv = cmd.invocations.get(String(input.InstanceId));
      if (!inv || inv.lag-- > 0) throw new AwsError('InvocationDoesNotExist', 'An error occurred (InvocationDoesNotExist).');
      if (input.PluginName !== undefined && input.PluginName !== cmd.stepName) throw new AwsError('InvalidPluginName', `No step ${String(input.PluginName)}.`);
      const elapsed = inv.started ? ((inv.ended ?? new Date()).getTime() - inv.started.getTime()) / 1000 : 0;
      return {
        CommandId: cmd.commandId,
        InstanceId: inv.instanceId,
        Comment: cmd.comment,
        DocumentName: cmd.documentName,
        DocumentVersion: cmd.documentVersion,
        PluginName: cmd.stepName,
        ResponseCode: inv.responseCode,
        ExecutionStartDateTime: inv.started?.toISOString() ?? '',
        ExecutionElapsedTime: `PT${elapsed.toFixed(3)}S`,
        ExecutionEndDateTime: inv.ended?.toISOString() ?? '',
        Status: inv.status,
        StatusDetails: inv.statusDetails,
        StandardOutputContent: inv.stdout.slice(0, INLINE_STDOUT_LIMIT),
        StandardOutputUrl: inv.stdoutUrl,
        StandardErrorContent: inv.stderr.slice(0, INLINE_STDERR_LIMIT),
        StandardErrorUrl: inv.stderrUrl,
      };
    },
    ListCommandInvocations: (input) => {
      const cmd = requireCommand(input.CommandId);
      const all = [...cmd.invocations.values()].filter((i) => input.InstanceId === undefined || i.instanceId === input.InstanceId);
      const max = Math.min(Number(input.MaxResults ?? 50), 50);
      const from = input.NextToken ? Number(input.NextToken) : 0;
      const page = all.slice(from, from + max);
      return {
        CommandInvocations: page.map((inv) => ({
          CommandId: cmd.commandId,
          InstanceId: inv.instanceId,
          InstanceName: inv.instanceId,
          Comment: cmd.comment,
          DocumentName: cmd.documentName,
          DocumentVersion: cmd.documentVersion,
          RequestedDateTime: epoch(inv.requested),
          Status: inv.status,
          StatusDetails: inv.statusDetails,
          StandardOutputUrl: inv.stdoutUrl,
          StandardErrorUrl: inv.stderrUrl,
          CommandPlugins: input.Details
            ? [
                {
                  Name: cmd.stepName,
                  Status: inv.status,
                  StatusDetails: inv.statusDetails,
                  ResponseCode: inv.responseCode,
                  ResponseStartDateTime: inv.started ? epoch(inv.started) : undefined,
                  ResponseFinishDateTime: inv.ended ? epoch(inv.ended) : undefined,
                  Output: inv.stdout.slice(0, LIST_OUTPUT_LIMIT),
                  StandardOutputUrl: inv.stdoutUrl,
                  StandardErrorUrl: inv.stderrUrl,
                  OutputS3BucketName: cmd.outputS3BucketName,
                  OutputS3KeyPrefix: cmd.outputS3KeyPrefix,
                },
              ]
            : [],
        })),
        NextToken: from + max < all.length ? String(from + max) : undefined,
      };
    },
    ListCommands: (input) => {
      const list = input.CommandId ? [requireCommand(input.CommandId)] : [...commands.values()];
      return { Commands: list.map(commandStatus) };
    },
    CancelCommand: (input) => {
      const cmd = requireCommand(input.CommandId);
      const only = input.InstanceIds as string[] | undefined;
      for (const inv of cmd.invocations.values()) {
        if (only && !only.includes(inv.instanceId)) continue;
        if (TERMINAL.has(inv.status)) continue;
        if (inv.status === 'InProgress' && !hanging.has(inv.instanceId)) {
          // The step's process group is killed; the run reports Cancelled when it has exited.
          inv.status = 'Cancelling';
          inv.statusDetails = 'Cancelling';
          inv.abort.abort();
        } else {
          inv.abort.abort();
          finish(cmd, inv, 'Cancelled', 'Cancelled', -1);
        }
      }
      return {};
    },
  };

  const handleSsm = (target: string, body: Buffer, res: ServerResponse): void => {
    const op = target.replace(/^AmazonSSM\./, '');
    calls.set(op, (calls.get(op) ?? 0) + 1);
    const reply = (status: number, payload: unknown): void => {
      res.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.1', 'x-amzn-RequestId': randomUUID() });
      res.end(JSON.stringify(payload));
    };
    if (throttle.remaining > 0 && (!throttle.operations || throttle.operations.includes(op))) {
      throttle.remaining--;
      return reply(400, { __type: 'ThrottlingException', message: 'Rate exceeded' });
    }
    const handler = ops[op];
    if (!handler) return reply(400, { __type: 'UnknownOperationException', message: `${op} is not part of the fake` });
    try {
      const input = body.length > 0 ? (JSON.parse(body.toString('utf8')) as Input) : {};
      reply(200, handler(input) ?? {});
    } catch (e) {
      if (e instanceof AwsError) return reply(e.status, { __type: e.type, message: e.message });
      reply(500, { __type: 'InternalServerError', message: e instanceof Error ? e.message : String(e) });
    }
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const target = req.headers['x-amz-target'];
      if (typeof target === 'string') return handleSsm(target, body, res);
      const op = `S3.${req.method === 'PUT' ? 'PutObject' : req.method === 'HEAD' ? 'HeadObject' : new URL(req.url ?? '/', 'http://x').searchParams.has('list-type') ? 'ListObjectsV2' : 'GetObject'}`;
      calls.set(op, (calls.get(op) ?? 0) + 1);
      s3.handle(req, body, res);
    });
  });
  server.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    endpoint,
    s3,
    calls,
    totalCalls: () => [...calls.values()].reduce((a, b) => a + b, 0),
    resetCalls: () => calls.clear(),
    faults: {
      throttleNext: (n, operations) => {
        throttle = { remaining: n, operations };
      },
      offline: (id, mode = 'DeliveryTimedOut') => void offline.set(id, mode),
      hang: (id) => void hanging.add(id),
      invocationLag: (n) => {
        lagPerInvocation = n;
      },
      clear: () => {
        throttle = { remaining: 0, operations: undefined };
        offline.clear();
        hanging.clear();
        lagPerInvocation = 0;
      },
    },
    addInstance,
    documents,
    commands,
    events,
    close: async () => {
      for (const cmd of commands.values()) for (const inv of cmd.invocations.values()) inv.abort.abort();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function matchesTarget(instance: FakeInstance, t: { Key: string; Values: string[] }): boolean {
  if (t.Key === 'InstanceIds') return t.Values.includes(instance.id);
  if (t.Key.startsWith('tag:')) {
    const v = instance.tags[t.Key.slice(4)];
    return v !== undefined && t.Values.includes(v);
  }
  if (t.Key === 'tag-key') return t.Values.some((k) => k in instance.tags);
  return false;
}
