import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { z } from 'zod';
import { ROLES } from './core/identity.js';
import { InventorySchema } from './core/inventory.js';
import { AlertSettingsSchema, DEFAULT_ALERT_SETTINGS, RoutesSchema, TOKEN_SOURCES, type AlertSettings, type TokenSource } from './core/routes.js';

/**
 * Configuration: environment variables (architecture §6) plus the YAML file named by MEDIC_CONFIG.
 * Every problem is collected and reported at once, each with its name, so an operator fixes them in one go.
 */

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`Medic cannot start; fix the configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

const EnvSchema = z.object({
  WEBEX_TOKEN: z.string().min(20, 'looks too short for a Webex bot token').optional(),
  WEBEX_WEBHOOK_URL: z.url({ message: 'must be the public https URL of POST /webex' }).optional(),
  WEBEX_WEBHOOK_SECRET: z.string().min(16, 'use at least 16 random characters (e.g. `openssl rand -hex 32`)').optional(),
  /** Base of the Webex REST API; point it at the local space for the demo and tests. */
  WEBEX_API_URL: z.url().default('https://webexapis.com/v1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must start with redis:// or rediss://').default('redis://127.0.0.1:6379'),
  MEDIC_ROLE: z.enum(['all', 'web', 'worker']).default('all'),
  MEDIC_CONFIG: z.string().optional(),
  MEDIC_ALERT_TOKEN: z.string().min(16, 'use at least 16 random characters').optional(),
  MEDIC_QUEUE_PREFIX: z.string().regex(/^[a-zA-Z0-9_-]+$/).default('medic'),
  MEDIC_WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Port of /readyz and /metrics (and /healthz), apart from the public /webex and /alerts/*; the worker role's only port. */
  MEDIC_ADMIN_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  /** Which proxies may set X-Forwarded-For (express `trust proxy`); unset = none, so req.ip is the peer's address. */
  MEDIC_TRUST_PROXY: z.string().transform(parseTrustProxy).optional(),
  /** How long a stopping process lets running jobs finish before handing them back to the queue. */
  MEDIC_SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(24 * 3600_000).default(15 * 60_000),
});

/**
 * `MEDIC_TRUST_PROXY`: a hop count (`1` = the one load balancer in front) or a comma-separated list of proxy addresses,
 * subnets (CIDR) and express's names `loopback`, `linklocal`, `uniquelocal`. `true` is refused: it would believe any
 * X-Forwarded-For a client sends.
 */
function parseTrustProxy(raw: string, ctx: z.RefinementCtx): false | number | string[] {
  const v = raw.trim();
  if (v === 'false' || v === '0') return false;
  if (/^[0-9]+$/.test(v)) return Number(v);
  if (v === 'true') {
    ctx.addIssue({ code: 'custom', message: '`true` would trust an X-Forwarded-For header sent by anyone; give the number of proxies in front of Medic (e.g. 1) or their addresses (e.g. 10.0.0.0/8)' });
    return z.NEVER;
  }
  const items = v.split(',').map((x) => x.trim());
  const bad = items.filter((x) => !isProxyAddress(x));
  if (bad.length > 0) {
    ctx.addIssue({ code: 'custom', message: `${bad.map((b) => JSON.stringify(b)).join(', ')}: not a hop count, IP address, CIDR subnet (10.0.0.0/8) or one of loopback, linklocal, uniquelocal` });
    return z.NEVER;
  }
  return items;
}

function isProxyAddress(x: string): boolean {
  if (['loopback', 'linklocal', 'uniquelocal'].includes(x)) return true;
  const [addr = '', bits, ...rest] = x.split('/');
  const family = isIP(addr);
  if (family === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  return /^[0-9]{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}

const EmailPattern = z.string().regex(/^(\*|[^\s@*]+|\*[^\s@]*)@[^\s@]+$|^\*$/, 'an email address or a pattern such as *@example.com');

const AccessRuleSchema = z
  .object({
    who: z.union([EmailPattern, z.array(EmailPattern).min(1)]),
    role: z.enum(ROLES),
    /** Environment names or patterns (`acme-*`); omitted = every environment. */
    envs: z.array(z.string().min(1)).optional(),
  })
  .strict();

const FileSchema = z
  .object({
    environments: InventorySchema.default({}),
    access: z.array(AccessRuleSchema).default([]),
    /** Spaces restricted to some environments: roomId → environments (patterns allowed). */
    spaces: z.record(z.string(), z.object({ envs: z.array(z.string().min(1)).min(1) }).strict()).default({}),
    approvals: z
      .object({
        /** Fractions allowed (0.5 is 30 s), for demos and tests; at least 0.05 (3 s). */
        expiryMinutes: z.number().min(0.05, 'expiryMinutes must be at least 0.05 (3 seconds)').max(24 * 60).default(30),
        /** Distinct approvers needed for destructive actions in prod environments. */
        prodDestructiveApprovers: z.number().int().min(1).max(3).default(1),
      })
      .strict()
      .default({ expiryMinutes: 30, prodDestructiveApprovers: 1 }),
    /**
     * Remediation budgets: at most `max` runs of a job kind per target (or per environment) within a window.
     * When spent, the job does not run: it becomes an approval request showing the recent runs.
     */
    budgets: z
      .array(
        z
          .object({
            kind: z.string().regex(/^[a-z]+\.[a-z.-]+$/, 'a job kind such as jvm.restart or db.kill'),
            per: z.enum(['target', 'env']),
            max: z.number().int().min(1),
            windowMinutes: z.number().int().min(1).max(7 * 24 * 60),
          })
          .strict(),
      )
      .default([]),
    audit: z.object({ maxEntries: z.number().int().min(100).default(100_000) }).strict().default({ maxEntries: 100_000 }),
    /** Alert routes: which alerts run which runbooks, in which mode, posted where (src/core/routes.ts). */
    routes: RoutesSchema.default([]),
    /** Alert intake and incident grouping settings. */
    alerts: AlertSettingsSchema.default(DEFAULT_ALERT_SETTINGS),
    /** Check thresholds by area (health, db, ...); each runbook validates its own part. */
    thresholds: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
  })
  .strict();

export type EnvConfig = z.infer<typeof EnvSchema>;
export type FileConfig = z.infer<typeof FileSchema>;
export type AccessRule = z.infer<typeof AccessRuleSchema>;

export interface MedicConfig {
  env: EnvConfig;
  file: FileConfig;
  /** Where the file came from, for messages. */
  configPath?: string;
  /** Bearer token per alert source: `alerts.sources.<source>.tokenEnv`, else MEDIC_ALERT_TOKEN (see alertTokens). */
  alertTokens: Partial<Record<TokenSource, string>>;
}

function zodProblems(prefix: string, error: z.ZodError): string[] {
  return error.issues.map((i) => {
    const path = i.path.map(String).join('.');
    return `${prefix}${path ? (prefix ? '.' : '') + path : ''}: ${i.message}`;
  });
}

/** Parses the YAML text of a config file; problems are prefixed with the file's path. */
export function parseConfigFile(text: string, source = 'config'): { file?: FileConfig; problems: string[] } {
  let raw: unknown;
  try {
    raw = parseYaml(text) ?? {};
  } catch (e) {
    const where = e instanceof YAMLParseError && e.linePos ? ` (line ${e.linePos[0].line}, column ${e.linePos[0].col})` : '';
    return { problems: [`${source}: not valid YAML${where}: ${(e as Error).message.split('\n')[0]}`] };
  }
  const r = FileSchema.safeParse(raw);
  if (!r.success) return { problems: zodProblems('', r.error).map((p) => `${source}: ${p}`) };
  return { file: r.data, problems: [] };
}

/** Loads env + file. Throws ConfigError listing every problem. `readFile` is injectable for tests. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, readFile: (p: string) => string = (p) => readFileSync(p, 'utf8')): MedicConfig {
  const problems: string[] = [];
  // Empty strings in the environment mean "unset" (docker-compose writes them for `VAR=`).
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const e = EnvSchema.safeParse(cleaned);
  if (!e.success) problems.push(...zodProblems('', e.error));
  let file: FileConfig | undefined = FileSchema.parse({});
  const path = cleaned.MEDIC_CONFIG;
  if (path) {
    let text: string | undefined;
    try {
      text = readFile(path);
    } catch (err) {
      problems.push(`MEDIC_CONFIG: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    if (text !== undefined) {
      const parsed = parseConfigFile(text, path);
      problems.push(...parsed.problems);
      file = parsed.file;
    }
  }
  if (e.success) {
    const v = e.data;
    const needsWebex = v.MEDIC_ROLE !== 'worker';
    if (needsWebex && !v.WEBEX_TOKEN) problems.push('WEBEX_TOKEN: required for the web role (create a bot at developer.webex.com → My Apps), or run `npm run demo` to try Medic without one');
    if (v.WEBEX_WEBHOOK_URL && !v.WEBEX_WEBHOOK_SECRET) problems.push('WEBEX_WEBHOOK_SECRET: required when WEBEX_WEBHOOK_URL is set, so Medic can verify X-Spark-Signature');
    if (v.MEDIC_ADMIN_PORT !== undefined && v.MEDIC_ADMIN_PORT !== 0 && v.MEDIC_ADMIN_PORT === v.PORT && needsWebex) problems.push(`MEDIC_ADMIN_PORT: ${v.PORT} is PORT too; choose another port for /readyz and /metrics, or unset it to serve everything on PORT`);
  }
  if (file && e.success) problems.push(...crossCheck(file));
  const tokens = file ? alertTokens(file.alerts, cleaned, e.success ? e.data.MEDIC_ALERT_TOKEN : undefined) : { tokens: {}, problems: [] };
  // Only the web role serves /alerts/*; workers and the CLI (which loads as a worker) need no alert token.
  if (!e.success || e.data.MEDIC_ROLE !== 'worker') problems.push(...tokens.problems);
  if (problems.length > 0 || !e.success || !file) throw new ConfigError(problems);
  return { env: e.data, file, configPath: path, alertTokens: tokens.tokens };
}

/**
 * The token of each alert source: from the variable `alerts.sources.<source>.tokenEnv` names, else
 * MEDIC_ALERT_TOKEN. A listed source must have its own token: one shared with another source would let either
 * sender post as the other.
 */
export function alertTokens(settings: AlertSettings, env: Record<string, string | undefined>, fallback: string | undefined): { tokens: Partial<Record<TokenSource, string>>; problems: string[] } {
  const tokens: Partial<Record<TokenSource, string>> = {};
  const problems: string[] = [];
  for (const source of TOKEN_SOURCES) {
    const own = settings.sources[source];
    if (!own) {
      if (fallback) tokens[source] = fallback;
      continue;
    }
    const value = env[own.tokenEnv];
    if (!value) problems.push(`alerts.sources.${source}.tokenEnv: the environment variable ${own.tokenEnv} is not set (the bearer token ${source} sends; e.g. \`openssl rand -hex 32\`)`);
    else if (value.length < 16) problems.push(`${own.tokenEnv}: the ${source} alert token is ${value.length} characters; use at least 16 random characters`);
    else tokens[source] = value;
  }
  for (const source of TOKEN_SOURCES) {
    if (!settings.sources[source] || !tokens[source]) continue;
    const twin = TOKEN_SOURCES.find((o) => o !== source && tokens[o] === tokens[source]);
    if (twin) problems.push(`alerts.sources.${source}: its token (${settings.sources[source]!.tokenEnv}) is the same as the ${twin} token${settings.sources[twin] ? '' : ' (MEDIC_ALERT_TOKEN)'}; give each source its own token`);
  }
  return { tokens, problems };
}

/** References between sections of the file. */
function crossCheck(file: FileConfig): string[] {
  const problems: string[] = [];
  const envNames = Object.keys(file.environments);
  const known = (p: string) => p === '*' || p.includes('*') || envNames.includes(p);
  file.access.forEach((rule, i) => {
    rule.envs?.forEach((env, j) => {
      if (!known(env)) problems.push(`access.${i}.envs.${j}: no environment named \`${env}\` (known: ${envNames.join(', ') || 'none'})`);
    });
  });
  for (const [room, s] of Object.entries(file.spaces)) {
    s.envs.forEach((env, j) => {
      if (!known(env)) problems.push(`spaces.${room}.envs.${j}: no environment named \`${env}\``);
    });
  }
  return problems;
}
