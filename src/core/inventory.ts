import { z } from 'zod';

/**
 * The inventory: client environments, their tiers of instances, JVMs, databases, Kafka and logs.
 * Lives in the config file under `environments:`; zod errors name the path (environments.acme-prod.tiers.app...).
 */

const NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

const INSTANCE_ID = /^(i-[0-9a-f]{8,17}|mi-[0-9a-f]{17}|local)$/;
const INSTANCE_ID_HINT = 'an EC2 instance id (i-0123abcd...), a managed instance id (mi-...) or "local"';

export const TargetsSchema = z.union([
  z.object({ instanceIds: z.array(z.string().regex(INSTANCE_ID, INSTANCE_ID_HINT)).min(1) }).strict(),
  z.object({ tag: z.record(z.string().min(1), z.string().min(1)).refine((t) => Object.keys(t).length > 0, 'at least one tag') }).strict(),
]);

export const JvmSchema = z
  .object({
    /** A pattern matched against the process command line (pgrep -f), e.g. `org.apache.catalina.startup.Bootstrap`. */
    process: z.string().min(1).max(200).regex(/^[A-Za-z0-9._\/:= -]+$/, 'letters, digits and . _ / : = - only').optional(),
    /** Container name when the JVM runs in Docker. */
    container: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/).optional(),
    user: z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/).optional(),
    restart: z
      .discriminatedUnion('method', [
        z.object({ method: z.literal('systemctl'), unit: z.string().regex(/^[A-Za-z0-9@._-]+$/) }),
        z.object({ method: z.literal('docker') }),
        z.object({ method: z.literal('command'), command: z.string().min(1) }),
      ])
      .optional(),
    healthUrl: z.string().url().optional(),
    /**
     * Probe an https `healthUrl` without checking its certificate (`curl -k`), for a self-signed one. Off by default:
     * the check then proves only that something answered at that address.
     */
    healthUrlInsecure: z.boolean().optional(),
  })
  .strict()
  .refine((j) => j.process || j.container, 'a JVM needs `process` (command-line pattern) or `container`')
  .refine((j) => !j.healthUrlInsecure || j.healthUrl?.startsWith('https://'), {
    message: '`healthUrlInsecure: true` skips the certificate check of an https `healthUrl`; set an https:// healthUrl or remove it',
    path: ['healthUrlInsecure'],
  });

/** Warn and critical levels of one reading; either may be omitted to keep the default. */
const LevelsSchema = z.object({ warn: z.number().nonnegative(), critical: z.number().nonnegative() }).partial().strict();

/** Overrides of `health` thresholds (defaults in src/analyzers/health); a tier's override wins over its environment's. */
export const HealthThresholdsSchema = z
  .object({
    diskUsedPercent: LevelsSchema,
    inodeUsedPercent: LevelsSchema,
    /** Lower is worse: warn when available memory falls below `warn` percent of total. */
    memoryAvailablePercent: LevelsSchema,
    /** 5-minute load average divided by cores. */
    loadPerCore: LevelsSchema,
    healthLatencyMs: LevelsSchema,
    clockOffsetSeconds: LevelsSchema,
    /** Warn when the host booted less than this many seconds ago. */
    recentBootSeconds: z.number().int().nonnegative(),
    hsErrGrade: z.enum(['warn', 'critical']),
    oomKillGrade: z.enum(['warn', 'critical']),
  })
  .partial()
  .strict();

/**
 * A directory an allow-listed cleanup may act in. Absolute, no `.`/`..` or hidden components, no shell characters:
 * the same pattern Medic-Disk's `allowedPattern` enforces, so a bad path fails here, at start-up, not on a host.
 */
const CLEANUP_PATH = z
  .string()
  .regex(/^(\/[A-Za-z0-9_][A-Za-z0-9._-]{0,63}){1,16}$/, 'an absolute directory such as /var/log/tomcat: letters, digits, . _ - per component, no `..`, no hidden components, no trailing /')
  .refine((p) => !p.split('/').some((c) => c === '.' || c === '..'), 'no `.` or `..` components');

/**
 * What `disk cleanup` may remove on a tier (environment-wide under the environment, a tier's keys win). Paths never
 * come from chat or alerts: only from here. Absent = no cleanup at all; each action is opt-in.
 */
export const DiskCleanupPolicySchema = z
  .object({
    /** Vacuum the systemd journal down to this many MB. */
    journalMaxMB: z.number().int().min(16).max(1_000_000).optional(),
    /** Rotated and compressed logs (*.gz, *.1, *.log.3, *.2026-01-31.log, ...) older than N days under these directories. */
    rotatedLogs: z.object({ paths: z.array(CLEANUP_PATH).min(1).max(20), olderThanDays: z.number().int().min(1).max(3650).default(7) }).strict().optional(),
    /** Heap dumps (*.hprof, *.hprof.gz) under these directories; with onlyUploaded, only those with a `<dump>.uploaded` marker. */
    heapDumps: z.object({ paths: z.array(CLEANUP_PATH).min(1).max(20), onlyUploaded: z.boolean().default(true), olderThanDays: z.number().int().min(0).max(3650).default(0) }).strict().optional(),
    docker: z.object({ images: z.enum(['none', 'dangling', 'unused']).default('none'), containers: z.boolean().default(false), buildCache: z.boolean().default(false) }).strict().optional(),
    /** Truncate files deleted but still held open, when they were under `rotatedLogs.paths` (never elsewhere). */
    truncateDeletedOpenFiles: z.boolean().default(false),
  })
  .strict();

export const TierSchema = z
  .object({
    targets: TargetsSchema,
    jvm: JvmSchema.optional(),
    /** Display names for instances, e.g. {i-0abc...: app-1}. */
    names: z.record(z.string(), z.string()).optional(),
    healthThresholds: HealthThresholdsSchema.optional(),
    /** `disk cleanup` allow-list for this tier; its keys win over the environment's. */
    cleanup: DiskCleanupPolicySchema.partial().optional(),
  })
  .strict();

export const DatabaseSchema = z
  .object({
    /** Name of the environment variable holding the connection URL (secrets stay out of the config file). */
    urlEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name such as ACME_PROD_MAIN_DB_URL'),
    rds: z.object({ instanceId: z.string().min(1), region: z.string().min(1), iamAuth: z.boolean().default(false) }).strict().optional(),
  })
  .strict();

/** A process pattern for `pgrep -f` (the characters Medic's documents accept). */
const PROCESS_PATTERN = z.string().min(1).max(200).regex(/^[A-Za-z0-9._\/:= -]+$/, 'letters, digits and . _ / : = - only');
/** A program and its arguments separated by single spaces, run without a shell (Medic-JvmRestart's `Command`). */
const RESTART_COMMAND = z.string().regex(/^[A-Za-z0-9_/.:=,+@%-]{1,200}( [A-Za-z0-9_/.:=,+@%-]{1,200}){0,30}$/, 'a program and its arguments separated by single spaces: no quotes, globs, pipes or redirections');

/** How a Kafka broker is restarted on its host (Medic-JvmRestart). */
export const KafkaRestartSchema = z.discriminatedUnion('method', [
  z.object({ method: z.literal('systemctl'), unit: z.string().regex(/^[A-Za-z0-9@._-]+$/) }).strict(),
  z.object({ method: z.literal('docker'), container: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/) }).strict(),
  z.object({ method: z.literal('command'), command: RESTART_COMMAND }).strict(),
]);

/** One broker: the instance it runs on, or that plus what differs from the cluster's defaults. */
export const KafkaBrokerSchema = z.union([
  z.string().regex(INSTANCE_ID, INSTANCE_ID_HINT),
  z
    .object({
      target: z.string().regex(INSTANCE_ID, INSTANCE_ID_HINT),
      restart: KafkaRestartSchema.optional(),
      process: PROCESS_PATTERN.optional(),
      dataDir: z.string().regex(/^\/[A-Za-z0-9_./-]{0,200}$/, 'an absolute path').optional(),
    })
    .strict(),
]);

/**
 * A Kafka cluster of an environment: `kafka: { bootstrap: [host:port], brokers: { <node.id>: <instance> } }`.
 * `restart`, `process`, `bin` and `dataDir` apply to every broker unless the broker's own entry says otherwise.
 */
export const KafkaSchema = z
  .object({
    bootstrap: z.array(z.string().regex(/^[A-Za-z0-9.-]{1,253}:[0-9]{1,5}$/, 'host:port, e.g. kafka-1.internal:9092')).min(1),
    brokers: z
      .record(z.string().regex(/^[0-9]{1,9}$/, "broker ids are the brokers' node.id numbers"), KafkaBrokerSchema)
      .refine((b) => Object.keys(b).length > 0, 'at least one broker: { <node.id>: <instance id> }'),
    restart: KafkaRestartSchema.default({ method: 'systemctl', unit: 'kafka' }),
    /** The broker's command line as `pgrep -f` finds it. */
    process: PROCESS_PATTERN.default('kafka.Kafka'),
    /** Where kafka-topics.sh and kafka-leader-election.sh are on the broker hosts. */
    bin: z.string().regex(/^\/[A-Za-z0-9_./-]{0,200}$/, 'an absolute path').default('/opt/kafka/bin'),
    /** The brokers' log.dirs, for the disk check before a restart. */
    dataDir: z.string().regex(/^\/[A-Za-z0-9_./-]{0,200}$/, 'an absolute path').optional(),
    /** How long `kafka recover` waits for the restarted broker to be back in every ISR. */
    isrWaitSeconds: z.number().int().min(10).max(3600).default(300),
  })
  .strict();

export const EnvironmentSchema = z
  .object({
    client: z.string().min(1).optional(),
    tags: z.record(z.string(), z.union([z.string(), z.boolean(), z.number()])).default({}),
    /** Webex room id of the incident space for this environment's alerts. */
    incidentSpace: z.string().min(1).optional(),
    tiers: z.record(z.string().regex(NAME, 'lower-case letters, digits and -'), TierSchema).default({}),
    databases: z.record(z.string().regex(NAME), DatabaseSchema).default({}),
    kafka: KafkaSchema.optional(),
    logGroups: z.array(z.string().min(1)).default([]),
    healthThresholds: HealthThresholdsSchema.optional(),
    /** `disk cleanup` allow-list of every tier of this environment. */
    cleanup: DiskCleanupPolicySchema.optional(),
  })
  .strict();

export const InventorySchema = z.record(z.string().regex(NAME, 'environment names are lower-case letters, digits and -'), EnvironmentSchema);

export type Targets = z.infer<typeof TargetsSchema>;
export type JvmSpec = z.infer<typeof JvmSchema>;
export type Tier = z.infer<typeof TierSchema>;
export type DatabaseSpec = z.infer<typeof DatabaseSchema>;
export type Environment = z.infer<typeof EnvironmentSchema>;
export type Inventory = z.infer<typeof InventorySchema>;
export type DiskCleanupPolicy = Partial<z.infer<typeof DiskCleanupPolicySchema>>;
export type KafkaSpec = z.infer<typeof KafkaSchema>;
export type KafkaRestart = z.infer<typeof KafkaRestartSchema>;
export type HealthThresholdOverrides = z.infer<typeof HealthThresholdsSchema>;

export function isProd(env: Environment): boolean {
  return env.tags.prod === true || env.tags.prod === 'true';
}
