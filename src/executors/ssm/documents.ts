import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { UserError } from '../../core/errors.js';

/**
 * Medic's SSM command documents (src/runbooks/documents/<Name>.yaml): loading, Medic's document policy, and the
 * parameter validation SSM itself would do. Shared by the local executor, `medic ssm sync` and the test SSM server,
 * so the three cannot disagree about what a document accepts.
 */

const ParameterSchema = z
  .object({
    type: z.enum(['String', 'StringList', 'Integer', 'Boolean']),
    description: z.string().optional(),
    default: z.union([z.string(), z.number(), z.boolean(), z.array(z.string())]).optional(),
    allowedPattern: z.string().optional(),
    allowedValues: z.array(z.string()).optional(),
    minChars: z.number().int().optional(),
    maxChars: z.number().int().optional(),
    interpolationType: z.literal('ENV_VAR').optional(),
  })
  .passthrough();

const StepSchema = z
  .object({
    action: z.literal('aws:runShellScript'),
    name: z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/),
    precondition: z.unknown().optional(),
    inputs: z
      .object({
        runCommand: z.array(z.string()).min(1),
        timeoutSeconds: z.union([z.string().regex(/^[0-9]{1,6}$/), z.number().int().positive()]).optional(),
        workingDirectory: z.string().optional(),
      })
      .passthrough(),
  })
  .passthrough();

const DocumentContentSchema = z
  .object({
    schemaVersion: z.literal('2.2'),
    description: z.string().optional(),
    parameters: z.record(z.string().regex(/^[A-Za-z0-9_]{1,64}$/), ParameterSchema).default({}),
    mainSteps: z.array(StepSchema).min(1),
  })
  .passthrough();

export type DocumentParameter = z.infer<typeof ParameterSchema>;
export type ShellStep = z.infer<typeof StepSchema>;

export interface CommandDocument {
  /** SSM document name without any deployment prefix, e.g. `Medic-HealthCheck` (the file name). */
  name: string;
  /** The YAML text exactly as sent to SSM. */
  content: string;
  /** sha256 hex of `content`, what SSM reports as `Hash` (HashType Sha256). */
  hash: string;
  description?: string;
  parameters: Record<string, DocumentParameter>;
  mainSteps: ShellStep[];
}

/** Step timeout SSM applies when a runShellScript step names none. */
export const DEFAULT_STEP_TIMEOUT_SECONDS = 3600;
export const MEDIC_DOCUMENT_NAME = /^Medic-[A-Za-z0-9-]{1,100}$/;

/** src/runbooks/documents, from both the TypeScript sources (tsx) and the compiled tree (dist/src/...). */
export function defaultDocumentsDir(): string {
  const candidates = [
    fileURLToPath(new URL('../../runbooks/documents/', import.meta.url)),
    fileURLToPath(new URL('../../../../src/runbooks/documents/', import.meta.url)),
  ];
  return candidates.find((c) => existsSync(c)) ?? candidates[0]!;
}

export function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Parses one document's YAML (or JSON) text; throws with the reason when it is not a document Medic can run. */
export function parseCommandDocument(name: string, content: string, opts: { medicPolicy?: boolean } = {}): CommandDocument {
  let raw: unknown;
  try {
    raw = parseYaml(content);
  } catch (e) {
    throw new Error(`Document ${name} is not valid YAML/JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  const r = DocumentContentSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new Error(`Document ${name} is not a schema 2.2 runShellScript document: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid'}`);
  }
  const doc: CommandDocument = { name, content, hash: sha256(content), description: r.data.description, parameters: r.data.parameters, mainSteps: r.data.mainSteps };
  if (opts.medicPolicy !== false) assertMedicPolicy(doc);
  return doc;
}

/**
 * Medic's rules for its own documents, checked whenever one is loaded: chat input must never become script text,
 * so every parameter travels as an environment variable and is pinned by a pattern or a list of values, and no
 * script contains SSM's `{{ }}` interpolation. One step per document keeps GetCommandInvocation unambiguous.
 */
export function assertMedicPolicy(doc: CommandDocument): void {
  const problems: string[] = [];
  if (!MEDIC_DOCUMENT_NAME.test(doc.name)) problems.push(`the name must match ${MEDIC_DOCUMENT_NAME.source}`);
  if (doc.mainSteps.length !== 1) problems.push('exactly one aws:runShellScript step is allowed');
  for (const [pname, p] of Object.entries(doc.parameters)) {
    if (p.type !== 'String') problems.push(`parameter ${pname} must be a String (got ${p.type})`);
    if (p.interpolationType !== 'ENV_VAR') problems.push(`parameter ${pname} needs interpolationType: ENV_VAR`);
    if (!p.allowedPattern && !p.allowedValues) problems.push(`parameter ${pname} needs allowedPattern or allowedValues`);
    if (p.allowedPattern) {
      if (!p.allowedPattern.startsWith('^') || !p.allowedPattern.endsWith('$')) problems.push(`parameter ${pname}: allowedPattern must be anchored (^...$)`);
      try {
        new RegExp(p.allowedPattern);
      } catch {
        problems.push(`parameter ${pname}: allowedPattern is not a valid regular expression`);
      }
    }
  }
  for (const step of doc.mainSteps) {
    if (step.inputs.runCommand.some((line) => line.includes('{{'))) problems.push(`step ${step.name} uses {{ }} interpolation; read $SSM_<name> instead`);
  }
  if (problems.length > 0) throw new Error(`Document ${doc.name} breaks Medic's document policy: ${problems.join('; ')}`);
}

/** Loads every `<Name>.yaml` under `dir`, keyed by document name. */
export async function loadDocuments(dir = defaultDocumentsDir()): Promise<Map<string, CommandDocument>> {
  const files = (await readdir(dir)).filter((f) => /\.ya?ml$/.test(f)).sort();
  const docs = new Map<string, CommandDocument>();
  for (const f of files) {
    const name = f.replace(/\.ya?ml$/, '');
    docs.set(name, parseCommandDocument(name, await readFile(join(dir, f), 'utf8')));
  }
  return docs;
}

/** Parameters refused before anything runs: the bot-side twin of SSM's `InvalidParameters`. */
export class InvalidParametersError extends UserError {
  override readonly name = 'InvalidParametersError' as 'UserError';
}

/**
 * Checks values against the document (unknown names, missing values, types, allowedValues, allowedPattern,
 * min/maxChars) and returns the environment the step sees: `SSM_<name>` for each parameter, defaults included.
 */
export function documentEnvironment(doc: CommandDocument, parameters: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const given of Object.keys(parameters)) {
    if (!(given in doc.parameters)) {
      throw new InvalidParametersError(`${doc.name} has no parameter \`${given}\`.`, `Its parameters: ${Object.keys(doc.parameters).join(', ') || 'none'}.`);
    }
  }
  for (const [pname, spec] of Object.entries(doc.parameters)) {
    const value = parameters[pname] ?? (spec.default === undefined ? undefined : String(spec.default));
    if (value === undefined) throw new InvalidParametersError(`${doc.name} needs the parameter \`${pname}\`.`);
    const shown = JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
    if (spec.type === 'Integer' && !/^-?[0-9]+$/.test(value)) throw new InvalidParametersError(`${doc.name}: \`${pname}\` must be a whole number, not ${shown}.`);
    if (spec.type === 'Boolean' && !/^(true|false)$/.test(value)) throw new InvalidParametersError(`${doc.name}: \`${pname}\` must be true or false, not ${shown}.`);
    if (spec.allowedValues && !spec.allowedValues.includes(value)) {
      throw new InvalidParametersError(`${doc.name}: ${shown} is not an allowed value of \`${pname}\`.`, `Allowed: ${spec.allowedValues.join(', ')}.`);
    }
    if (spec.allowedPattern && !new RegExp(spec.allowedPattern).test(value)) {
      throw new InvalidParametersError(`${doc.name}: ${shown} does not match the allowed pattern of \`${pname}\` (${spec.allowedPattern}).`);
    }
    if (spec.minChars !== undefined && value.length < spec.minChars) throw new InvalidParametersError(`${doc.name}: \`${pname}\` needs at least ${spec.minChars} characters.`);
    if (spec.maxChars !== undefined && value.length > spec.maxChars) throw new InvalidParametersError(`${doc.name}: \`${pname}\` takes at most ${spec.maxChars} characters.`);
    env[`SSM_${pname}`] = value;
  }
  return env;
}

/** The script a step runs: SSM writes runCommand's lines to a file, one per line. */
export function stepScript(step: ShellStep): string {
  return `${step.inputs.runCommand.join('\n')}\n`;
}

export function stepTimeoutSeconds(step: ShellStep): number {
  const t = step.inputs.timeoutSeconds;
  return t === undefined ? DEFAULT_STEP_TIMEOUT_SECONDS : Number(t);
}
