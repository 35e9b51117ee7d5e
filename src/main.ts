import type { Server } from 'node:http';
import { pathToFileURL } from 'node:url';
import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { COMMANDS } from '../commands/index.js';
import type { AccessConfig } from './app/access.js';
import type { AppDeps } from './app/app-deps.js';
import { handleInbound } from './app/handle-inbound.js';
import { createRedisApprovalStore } from './queue/approvals.js';
import { createRedisAuditLog } from './queue/audit.js';
import { createRedisBudgetStore } from './queue/budgets.js';
import { createRedisDiskHistory } from './queue/disk-history.js';
import { createTargetLocks } from './queue/target-lock.js';
import { createJobControl, createScheduler, listenForCancels } from './queue/job-control.js';
import { runRunbookJob } from './app/run-runbook.js';
import { ConfigError, loadConfig, type MedicConfig } from './config.js';
import type { Executor } from './core/executor.js';
import type { ChatPort, Logger } from './core/ports.js';
import { systemClock } from './core/ports.js';
import type { RunbookServices } from './core/runbook.js';
import { createRunbookServices } from './services.js';
import { createPreflight } from './runbooks/index.js';
import { createLogger } from './logger.js';
import { createMetrics, type MedicMetrics } from './metrics.js';
import { createMedicQueues, createQueuePorts, enqueueInbound, indexJobInRoom, type MedicQueues } from './queue/queues.js';
import { assertRedisReachable, createRedis, RedisUnavailableError } from './queue/redis.js';
import { startInboundWorker, startRepliesWorker, startRunbooksWorker, WORKER_ID } from './queue/workers.js';
import { drainWorkers } from './queue/drain.js';
import { analysisConcurrency, createAnalysisQueue, createFollowUpPort, startAnalysisWorker } from './queue/analysis.js';
import { createHttpApp, listen } from './transport/http/http-server.js';
import { checkRoutes } from './app/alerts/route-plans.js';
import { handleAlert, handleFollowUp, handleRouteJobOutcome, type AlertDeps } from './app/handle-alert.js';
import { createAlertsQueue, createDeadLetters, createIncidentStore, createReplayGuard, startAlertsWorker, watchRunbookOutcomes } from './queue/incidents.js';
import { createAlertsRouter } from './transport/alerts/alerts-router.js';
import { createWebexBot, type WebexBot } from './transport/webex/webex-bot.js';
import { createWebexChat } from './transport/webex/webex-rest.js';

/** Test and demo seams: everything else comes from the configuration. */
export interface MedicOverrides {
  log?: Logger;
  chat?: ChatPort;
  executor?: Executor;
  /** Builds the webhook URL once the HTTP port is known (port 0 in tests and the demo). */
  webhookUrl?: (port: number) => string;
  /** GET used for SNS signing certificates and subscription confirmations (tests serve their own). */
  alertFetcher?: (url: string) => Promise<{ status: number; body: string }>;
}

export interface RunningMedic {
  /** Port of the public endpoints (/webex, /alerts/*); absent in the worker role. */
  port?: number;
  /** Port of /readyz and /metrics: MEDIC_ADMIN_PORT's server, or the public one when it serves everything. */
  adminPort?: number;
  queues: MedicQueues;
  webex?: WebexBot;
  log: Logger;
  stop(): Promise<void>;
}

/** The composition root: the only place that builds clients and wires ports to adapters. */
export async function startMedic(config: MedicConfig, overrides: MedicOverrides = {}): Promise<RunningMedic> {
  const env = config.env;
  const log = overrides.log ?? createLogger(env.LOG_LEVEL);
  // Routes name chat commands; a template no command parses is a configuration error naming the route.
  const routeProblems = checkRoutes(config.file.routes, COMMANDS, config.file.environments);
  if (routeProblems.length > 0) throw new ConfigError(routeProblems);
  await assertRedisReachable(env.REDIS_URL);
  const producer = createRedis(env.REDIS_URL, 'producer');
  const workerConn = createRedis(env.REDIS_URL, 'worker');
  for (const c of [producer, workerConn]) c.on('error', (err) => log.warn({ err: err.message }, 'redis connection error'));
  const queues = createMedicQueues(producer, env.MEDIC_QUEUE_PREFIX);
  // Heap analyses queued by jvm.heap / jvm.oom run on their own queue (see src/queue/analysis.ts); `job <id>` and
  // `cancel` look there too.
  const analysisQueue = createAnalysisQueue(producer, env.MEDIC_QUEUE_PREFIX);
  const ports = createQueuePorts(queues, producer, [analysisQueue]);
  const metrics = createMetrics();
  metrics.setJobCounts(async () => ({
    inbound: await queues.inbound.getJobCounts(),
    runbooks: await queues.runbooks.getJobCounts(),
    replies: await queues.replies.getJobCounts(),
    analysis: await analysisQueue.getJobCounts(),
  }));

  const access: AccessConfig = { access: config.file.access, spaces: config.file.spaces, inventory: config.file.environments };
  const audit = createRedisAuditLog(producer, env.MEDIC_QUEUE_PREFIX, config.file.audit.maxEntries);
  const appDeps: AppDeps = {
    commands: COMMANDS,
    config: access,
    policy: { ...config.file.approvals, budgets: config.file.budgets },
    runbooks: ports,
    replies: ports,
    approvals: createRedisApprovalStore(producer, env.MEDIC_QUEUE_PREFIX),
    budgets: createRedisBudgetStore(producer, env.MEDIC_QUEUE_PREFIX),
    audit,
    jobs: createJobControl(queues, producer, [analysisQueue]),
    scheduler: createScheduler(queues),
    clock: systemClock,
    log,
  };
  const services: RunbookServices = createRunbookServices(process.env, { executor: overrides.executor, thresholds: config.file.thresholds });
  services.diskHistory = createRedisDiskHistory(producer, env.MEDIC_QUEUE_PREFIX);
  // Pre-approval lookups (db cancel/kill: does the backend exist, what does it run) use this process's services.
  appDeps.preflight = createPreflight({ inventory: config.file.environments, services, clock: systemClock });
  services.followUp = createFollowUpPort({ runbooks: queues.runbooks, analysis: analysisQueue }, (jobId, data) => indexJobInRoom(producer, env.MEDIC_QUEUE_PREFIX, jobId, data));

  const workers: Worker[] = [];
  const common = { connection: workerConn, prefix: env.MEDIC_QUEUE_PREFIX, log };
  let server: Server | undefined;
  let adminServer: Server | undefined;
  let webex: WebexBot | undefined;
  let alertIntake: AlertIntake | undefined;
  let stopping: Promise<void> | undefined;
  const web = env.MEDIC_ROLE !== 'worker';
  const http = {
    log,
    metrics,
    trustProxy: env.MEDIC_TRUST_PROXY ?? false,
    stopping: () => stopping !== undefined,
    ready: async () => {
      await producer.ping();
    },
  };

  if (web) {
    const chat = overrides.chat ?? createWebexChat({ apiUrl: env.WEBEX_API_URL, token: env.WEBEX_TOKEN! });
    // One reply in flight across every web replica: replies are posted in the order they were queued.
    await queues.replies.setGlobalConcurrency(1);
    workers.push(
      startInboundWorker({
        ...common,
        handle: (event) => handleInbound(event, appDeps),
      }) as unknown as Worker,
      startRepliesWorker({ ...common, chat, queues, onDelivered: (ms) => ms !== undefined && metrics.replyLatency.observe(ms / 1000) }) as unknown as Worker,
    );
    alertIntake = startAlertIntake({ config, appDeps, chat, producer, workerConn, runbooks: queues.runbooks, log, fetcher: overrides.alertFetcher, metrics });
    workers.push(alertIntake.worker);
    const secret = env.WEBEX_WEBHOOK_SECRET;
    const app = createHttpApp({
      ...http,
      // With an admin port, the public port answers only /webex, /alerts/* and /healthz.
      endpoints: env.MEDIC_ADMIN_PORT === undefined ? 'all' : 'public',
      routers: alertIntake.routers,
      ...(secret ? { webex: { secret, deliver: async (body) => webex?.processWebhook(body) } } : {}),
    });
    server = await listen(app, env.PORT, env.HOST);
    const port = portOf(server);
    log.info({ port }, 'HTTP server listening');
    const webhookUrl = env.WEBEX_WEBHOOK_URL ?? overrides.webhookUrl?.(port);
    if (env.WEBEX_TOKEN) {
      webex = createWebexBot({
        token: env.WEBEX_TOKEN,
        apiUrl: env.WEBEX_API_URL,
        webhookUrl,
        webhookSecret: secret,
        log,
        onEvent: async (event) => {
          const { id, created } = await enqueueInbound(queues, producer, event);
          if (!created) log.info({ jobId: id }, 'duplicate Webex delivery ignored');
        },
      });
      await webex.start();
    }
  }
  // Probes and Prometheus: on MEDIC_ADMIN_PORT when set; a worker, which has no public port, uses PORT otherwise.
  if (env.MEDIC_ADMIN_PORT !== undefined || !web) {
    adminServer = await listen(createHttpApp({ ...http, endpoints: 'admin' }), env.MEDIC_ADMIN_PORT ?? env.PORT, env.HOST);
    log.info({ port: portOf(adminServer) }, 'admin HTTP server listening (/healthz, /readyz, /metrics)');
  }
  let subscriber: Redis | undefined;
  const locks = createTargetLocks(producer, { prefix: `${env.MEDIC_QUEUE_PREFIX}:` });
  if (env.MEDIC_ROLE !== 'web') {
    const runbooksWorker = startRunbooksWorker({
      ...common,
      concurrency: env.MEDIC_WORKER_CONCURRENCY,
      run: (info) => runRunbookJob(info, { inventory: config.file.environments, services, replies: ports, audit, locks, clock: systemClock, log, workerId: WORKER_ID }),
    });
    workers.push(runbooksWorker as unknown as Worker);
    const analysisWorker = startAnalysisWorker({
      ...common,
      concurrency: analysisConcurrency(process.env),
      run: (info) => runRunbookJob(info, { inventory: config.file.environments, services, replies: ports, audit, clock: systemClock, log, workerId: WORKER_ID }),
    });
    workers.push(analysisWorker as unknown as Worker);
    subscriber = createRedis(env.REDIS_URL, 'worker');
    subscriber.on('error', (err) => log.warn({ err: err.message }, 'redis subscriber error'));
    await listenForCancels(subscriber, env.MEDIC_QUEUE_PREFIX, [runbooksWorker as unknown as Worker, analysisWorker as unknown as Worker], log);
  }
  log.info({ role: env.MEDIC_ROLE, worker: WORKER_ID }, 'Medic started');

  const graceMs = env.MEDIC_SHUTDOWN_GRACE_MS;
  const stop = () =>
    (stopping ??= (async () => {
      log.info({ graceMs }, 'stopping: no new work; running jobs may finish within the grace');
      await webex?.stop();
      if (server) await closeServer(server);
      // Running jobs finish within the grace; the ones still running then go back to the queue for another worker.
      const drain = await drainWorkers(workers, { graceMs, log });
      if (!drain.drained) log.warn({ handedBack: drain.handedBack }, 'stopping: grace over');
      await alertIntake?.close();
      await queues.close();
      await analysisQueue.close();
      if (subscriber) await quit(subscriber);
      await quit(producer);
      await quit(workerConn);
      // Last: probes keep answering /healthz while the jobs drain.
      if (adminServer) await closeServer(adminServer);
      log.info('stopped');
    })());
  return { port: server ? portOf(server) : undefined, adminPort: adminServer ? portOf(adminServer) : server ? portOf(server) : undefined, queues, webex, log, stop };
}

function portOf(s: Server): number {
  return (s.address() as { port: number }).port;
}

async function closeServer(s: Server): Promise<void> {
  await new Promise<void>((r) => s.close(() => r()));
}

interface AlertIntake {
  routers: Array<{ path: string; router: ReturnType<typeof createAlertsRouter> }>;
  worker: Worker;
  close(): Promise<void>;
}

/** Alerts: the /alerts/* router, the `alerts` queue and its worker, and the route breaker's job watcher. */
function startAlertIntake(o: {
  config: MedicConfig;
  appDeps: AppDeps;
  chat: ChatPort;
  producer: Redis;
  workerConn: Redis;
  runbooks: MedicQueues['runbooks'];
  log: Logger;
  fetcher?: (url: string) => Promise<{ status: number; body: string }>;
  metrics: MedicMetrics;
}): AlertIntake {
  const { env, file } = o.config;
  const prefix = env.MEDIC_QUEUE_PREFIX;
  const settings = file.alerts;
  const alerts = createAlertsQueue(o.producer, prefix);
  const deadLetters = createDeadLetters(o.producer, prefix, settings.deadLetterMax);
  const fetcher =
    o.fetcher ??
    (async (url: string) => {
      // No redirects: the host was checked, a redirect could leave it.
      const r = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(5_000) });
      return { status: r.status, body: await r.text() };
    });
  const alertDeps: AlertDeps = {
    ...o.appDeps,
    incidents: createIncidentStore(o.producer, prefix),
    chat: o.chat,
    routes: file.routes,
    settings,
    scheduleFollowUp: (id, delayMs, now) => alerts.scheduleFollowUp(id, delayMs, now),
    deadLetter: (entry) => deadLetters.add(entry),
  };
  const router = createAlertsRouter({
    tokens: o.config.alertTokens,
    rejected: (source, reason) => o.metrics.alertsRejected.inc({ source, reason }),
    enqueue: (list) => alerts.enqueue(list),
    deadLetter: (entry) => deadLetters.add(entry),
    fetcher,
    clock: systemClock,
    log: o.log,
    sns: settings.sns ? { regions: settings.sns.regions, topicArns: settings.sns.topicArns, maxAgeMs: settings.sns.maxAgeSeconds * 1000, replay: createReplayGuard(o.producer, prefix) } : undefined,
  });
  const worker = startAlertsWorker({
    connection: o.workerConn,
    prefix,
    log: o.log,
    handle: (data) => (data.type === 'alert' ? handleAlert(data.alert, alertDeps) : handleFollowUp(data.incidentId, alertDeps)),
  });
  const eventsConn = createRedis(env.REDIS_URL, 'worker');
  eventsConn.on('error', (err) => o.log.warn({ err: err.message }, 'redis connection error'));
  const outcomes = watchRunbookOutcomes(eventsConn, o.runbooks, (x) => handleRouteJobOutcome(x, alertDeps), (err) => o.log.warn({ err }, 'route outcome not counted'));
  return {
    routers: [{ path: '/alerts', router }],
    worker: worker as unknown as Worker,
    async close() {
      await outcomes.close();
      await alerts.close();
      await quit(eventsConn);
    },
  };
}

async function quit(r: Redis): Promise<void> {
  await r.quit().catch(() => r.disconnect());
}

/** How long after the drain's grace a stop may still take (hand-back, closing connections) before the process exits anyway. */
export const SHUTDOWN_MARGIN_MS = 30_000;

/**
 * `node dist/src/main.js` (the image's CMD): configuration from the environment only; exits with a clear message
 * on a bad one. SIGTERM/SIGINT drain: no new work, running jobs get MEDIC_SHUTDOWN_GRACE_MS, then go back to the
 * queue. `overrides` are for tests that run this entry point in a child process.
 */
export async function main(overrides: MedicOverrides = {}): Promise<void> {
  let config: MedicConfig;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw e;
  }
  let medic: RunningMedic;
  try {
    medic = await startMedic(config, overrides);
  } catch (e) {
    if (e instanceof RedisUnavailableError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(69); // EX_UNAVAILABLE
    }
    throw e;
  }
  const shutdown = (signal: string) => {
    medic.log.info({ signal }, 'shutdown requested');
    // The drain is bounded by the grace; this only catches a stop that hangs after it (a connection that never closes).
    const force = setTimeout(() => {
      medic.log.error({ graceMs: config.env.MEDIC_SHUTDOWN_GRACE_MS }, 'shutdown did not finish in time; exiting');
      process.exit(1);
    }, config.env.MEDIC_SHUTDOWN_GRACE_MS + SHUTDOWN_MARGIN_MS);
    force.unref();
    medic.stop().then(
      () => process.exit(0),
      (err) => {
        medic.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err) => {
    process.stderr.write(`Medic failed to start: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  });
}
