import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import { KafkaWireConnection } from '../../src/executors/kafka/wire.js';

const { Kafka, logLevel } = kafkajs;

/**
 * A real Apache Kafka 4.x cluster in KRaft mode for the tests: N combined broker+controller JVMs on free loopback
 * ports, from the jars `mvn -q -f test/kafka/pom.xml dependency:copy-dependencies` put in test/kafka/target
 * (.ci/run does it). Small heaps and short timeouts, so a stopped broker shows in the metadata within seconds.
 *
 * Every broker runs from `<dir>/bin/broker.sh start|stop|restart <id>` (nohup, pid file), the same script a test
 * inventory names as the broker's restart command: a broker the local executor restarted is managed exactly like
 * one the helper started, and `close()` stops them all by their pid files. `<dir>/bin/kafka-topics.sh` and
 * `kafka-leader-election.sh` run the tools' main classes, as those scripts do on a broker host.
 */

export const KAFKA_DIR = fileURLToPath(new URL('../kafka/', import.meta.url));
export const KAFKA_JARS = join(KAFKA_DIR, 'target', 'dependency');

/** The classpath of the Kafka jars; a clear failure (never a skip) when they were not fetched. */
export function kafkaClasspath(): string {
  const jars = existsSync(KAFKA_JARS) ? readdirSync(KAFKA_JARS).filter((f) => f.endsWith('.jar')) : [];
  if (!jars.some((j) => /^kafka_2\.13-4\./.test(j)) || !jars.some((j) => /^kafka-tools-4\./.test(j))) {
    throw new Error(`The Kafka jars are missing from ${KAFKA_JARS}. Fetch them with \`mvn -q -f test/kafka/pom.xml dependency:copy-dependencies\` (.ci/run does it; Maven caches them in ~/.m2).`);
  }
  return `${KAFKA_JARS}/*`;
}

export interface KafkaClusterOptions {
  /** How many combined broker+controller nodes (ids 1..n); 3 by default. */
  brokers?: number;
  /** Heap of each broker JVM in MiB (192 by default; the issue allows at most 256). */
  heapMb?: number;
  /** Extra server.properties lines for every broker. */
  properties?: Record<string, string | number | boolean>;
}

export interface KafkaCluster {
  dir: string;
  clusterId: string;
  /** `127.0.0.1:<port>` of every broker, by id order. */
  bootstrap: string[];
  ids: number[];
  /** Where broker.sh, kafka-topics.sh and kafka-leader-election.sh are. */
  binDir: string;
  /** `<binDir>/broker.sh restart <id>`: the restart command a test inventory configures. */
  restartCommand(id: number): string;
  /** The server.properties path of a broker: unique on its command line, so `pgrep -f` finds exactly it. */
  propertiesPath(id: number): string;
  pid(id: number): number | undefined;
  /** Milliseconds from the first JVM spawn to every broker registered and unfenced. */
  startMs: number;
  /** SIGTERM (controlled shutdown) and wait until the JVM is gone. */
  stop(id: number): Promise<void>;
  /** SIGKILL, as a crash. */
  kill(id: number): Promise<void>;
  /** Starts a stopped broker and waits until the cluster lists it again. */
  start(id: number): Promise<void>;
  /** SIGSTOP / SIGCONT: a hung broker (the controller fences it after broker.session.timeout.ms). */
  pause(id: number): void;
  resume(id: number): void;
  /** Runs a Kafka tool main class (e.g. org.apache.kafka.tools.TopicCommand) against the cluster. */
  tool(mainClass: string, args: string[]): Promise<{ stdout: string; stderr: string }>;
  /** `kafka-topics --bootstrap-server <alive broker> <args>`. */
  kafkaTopics(args: string[]): Promise<string>;
  /** Creates topics through the admin API and waits for their leaders. */
  createTopics(topics: Array<{ topic: string; numPartitions: number; replicationFactor?: number; replicaAssignment?: Array<{ partition: number; replicas: number[] }>; configEntries?: Array<{ name: string; value: string }> }>): Promise<void>;
  /** Broker ids the cluster metadata lists (alive and unfenced). */
  aliveBrokers(): Promise<number[]>;
  /** Waits until the cluster lists exactly the given brokers. */
  waitForBrokers(ids: number[], timeoutMs?: number): Promise<void>;
  /** Stops every broker and removes the directory. */
  close(): Promise<void>;
}

const TOPIC_COMMAND = 'org.apache.kafka.tools.TopicCommand';
const LEADER_ELECTION_COMMAND = 'org.apache.kafka.tools.LeaderElectionCommand';

export async function startKafkaCluster(opts: KafkaClusterOptions = {}): Promise<KafkaCluster> {
  const cp = kafkaClasspath();
  const n = opts.brokers ?? 3;
  const ids = Array.from({ length: n }, (_, i) => i + 1);
  const dir = mkdtempSync(join(tmpdir(), 'medic-kafka-'));
  const binDir = join(dir, 'bin');
  mkdirSync(binDir);
  const ports = await freePorts(2 * n);
  const brokerPort = (id: number): number => ports[2 * (id - 1)]!;
  const controllerPort = (id: number): number => ports[2 * (id - 1) + 1]!;
  const bootstrap = ids.map((id) => `127.0.0.1:${brokerPort(id)}`);
  const clusterId = kafkaUuid();
  const heap = opts.heapMb ?? 192;
  // C1 only and the serial collector: these JVMs start faster and use less CPU on a 2-core machine.
  const jvmOpts = `-Xmx${heap}m -Xms32m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss512k -Djava.awt.headless=true -Dlog4j2.configurationFile=${join(KAFKA_DIR, 'log4j2.properties')}`;
  const toolOpts = '-Xmx96m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto';
  const voters = ids.map((id) => `${id}@127.0.0.1:${controllerPort(id)}`).join(',');
  const propertiesPath = (id: number): string => join(dir, `n${id}`, 'server.properties');

  for (const id of ids) {
    mkdirSync(join(dir, `n${id}`, 'data'), { recursive: true });
    const props: Record<string, string | number | boolean> = {
      'process.roles': 'broker,controller',
      'node.id': id,
      'controller.quorum.voters': voters,
      listeners: `PLAINTEXT://127.0.0.1:${brokerPort(id)},CONTROLLER://127.0.0.1:${controllerPort(id)}`,
      'advertised.listeners': `PLAINTEXT://127.0.0.1:${brokerPort(id)}`,
      'controller.listener.names': 'CONTROLLER',
      'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      'inter.broker.listener.name': 'PLAINTEXT',
      'log.dirs': join(dir, `n${id}`, 'data'),
      'offsets.topic.replication.factor': Math.min(3, n),
      'transaction.state.log.replication.factor': Math.min(3, n),
      'transaction.state.log.min.isr': 1,
      // A stopped or hung broker shows within seconds: fenced after 3 s, out of the ISR after 3 s of lag.
      'broker.session.timeout.ms': 3000,
      'broker.heartbeat.interval.ms': 500,
      'replica.lag.time.max.ms': 3000,
      'group.initial.rebalance.delay.ms': 0,
      // Leaders come back to the preferred replica only when Medic (or a person) asks for the election.
      'auto.leader.rebalance.enable': false,
      'unclean.leader.election.enable': false,
      'auto.create.topics.enable': false,
      'num.network.threads': 1,
      'num.io.threads': 2,
      'background.threads': 2,
      'num.replica.fetchers': 1,
      'num.recovery.threads.per.data.dir': 1,
      'log.cleaner.enable': false,
      // Small (sparse) index files: a 2,000-partition cluster stays light.
      'log.index.size.max.bytes': 65536,
      'log.segment.bytes': 4 * 1024 * 1024,
      ...opts.properties,
    };
    writeFileSync(propertiesPath(id), Object.entries(props).map(([k, v]) => `${k}=${String(v)}`).join('\n') + '\n');
  }

  // broker.sh: the one way a broker starts or stops, for the helper and for restart commands alike. `alive` reads
  // /proc so a zombie (an orphan nobody reaped) counts as gone.
  writeScript(
    join(binDir, 'broker.sh'),
    `#!/bin/sh
# broker.sh start|stop|restart <id>: one broker of the test Kafka cluster in ${dir}.
D='${dir}'
ID="$2"
case "$ID" in [0-9]|[0-9][0-9]) ;; *) echo "usage: broker.sh start|stop|restart <id>" >&2; exit 2 ;; esac
PIDF="$D/n$ID/broker.pid"
# Alive: not a zombie, or a zombie main thread whose other threads still run (a JVM exiting still holds its ports).
alive() { [ -r "/proc/$1/stat" ] || return 1; sed 's/.*) //' "/proc/$1/stat" | grep -q '^[ZX]' || return 0; [ "$(ls "/proc/$1/task" 2>/dev/null | wc -l)" -gt 1 ]; }
stop() {
  [ -f "$PIDF" ] || return 0
  P=$(cat "$PIDF")
  kill -CONT "$P" 2>/dev/null
  kill "$P" 2>/dev/null
  i=0
  while alive "$P"; do
    i=$((i + 1))
    [ "$i" -ge 300 ] && kill -9 "$P" 2>/dev/null
    sleep 0.1
  done
  rm -f "$PIDF"
}
start() {
  if [ -f "$PIDF" ] && alive "$(cat "$PIDF")"; then echo "broker $ID is already running" >&2; return 0; fi
  # The caller's working directory may go away (an SSM step's temp dir): a JVM without one dies at start.
  cd "$D" || exit 1
  nohup java ${jvmOpts} -cp '${cp}' kafka.Kafka "$D/n$ID/server.properties" >>"$D/n$ID/broker.log" 2>&1 </dev/null &
  echo $! >"$PIDF"
}
case "$1" in
  start) start ;;
  stop) stop ;;
  restart) stop; start ;;
  *) echo "usage: broker.sh start|stop|restart <id>" >&2; exit 2 ;;
esac
`,
  );
  for (const [name, main] of [['kafka-topics.sh', TOPIC_COMMAND], ['kafka-leader-election.sh', LEADER_ELECTION_COMMAND]] as const) {
    writeScript(join(binDir, name), `#!/bin/sh\nexec java ${toolOpts} -cp '${cp}' ${main} "$@"\n`);
  }

  const run = (file: string, args: string[], timeoutMs = 120_000): Promise<{ stdout: string; stderr: string }> =>
    new Promise((resolve, reject) => {
      execFile(file, args, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`${file} ${args.join(' ')} failed: ${err.message}\n${stderr}`));
        else resolve({ stdout, stderr });
      });
    });

  const pid = (id: number): number | undefined => {
    const f = join(dir, `n${id}`, 'broker.pid');
    return existsSync(f) ? Number(readFileSync(f, 'utf8')) : undefined;
  };
  const killAllSync = (): void => {
    for (const id of ids) {
      const p = pid(id);
      if (p === undefined) continue;
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  };
  // A test process that dies without afterAll must not leave three JVMs behind.
  process.once('exit', killAllSync);

  const kafka = new Kafka({ clientId: 'medic-test-cluster', brokers: bootstrap, logLevel: logLevel.NOTHING, connectionTimeout: 2000, requestTimeout: 10_000, retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 } });
  // Over Medic's own Metadata request: kafkajs' describeCluster fails while any partition is offline.
  const aliveBrokers = async (): Promise<number[]> => {
    let lastError: unknown;
    for (const b of bootstrap) {
      const p = pid(ids[bootstrap.indexOf(b)]!);
      if (p === undefined || !alive(p)) continue;
      let conn: KafkaWireConnection | undefined;
      try {
        conn = await KafkaWireConnection.open(b, { timeoutMs: 3000 });
        const md = await conn.metadata([]);
        return md.brokers.map((x) => x.nodeId).sort((x, y) => x - y);
      } catch (e) {
        lastError = e;
      } finally {
        conn?.close();
      }
    }
    throw lastError instanceof Error ? lastError : new Error('no broker process is running');
  };
  const waitForBrokers = async (want: number[], timeoutMs = 90_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    const key = [...want].sort((a, b) => a - b).join(',');
    let last = 'no answer';
    for (;;) {
      try {
        const got = await aliveBrokers();
        if (got.join(',') === key) return;
        last = `brokers [${got.join(',')}]`;
      } catch (e) {
        last = (e as Error).message;
      }
      if (Date.now() > deadline) throw new Error(`the Kafka cluster in ${dir} did not list brokers [${key}] within ${timeoutMs} ms (last: ${last}); broker logs: ${logTails()}`);
      await delay(250);
    }
  };
  const logTails = (): string =>
    ids
      .map((id) => {
        const f = join(dir, `n${id}`, 'broker.log');
        return existsSync(f) ? `n${id}: ${readFileSync(f, 'utf8').slice(-600)}` : `n${id}: no log`;
      })
      .join('\n');
  const waitGone = async (p: number): Promise<void> => {
    while (alive(p)) await delay(100);
  };

  const started = Date.now();
  try {
    // Format every node's storage (in parallel: each is a JVM start), then start the brokers.
    await Promise.all(ids.map((id) => run('java', [...toolOpts.split(' '), '-cp', cp, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', propertiesPath(id)])));
    await Promise.all(ids.map((id) => run(join(binDir, 'broker.sh'), ['start', String(id)])));
    await waitForBrokers(ids);
  } catch (e) {
    killAllSync();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const startMs = Date.now() - started;

  const aliveBootstrap = (): string => {
    const up = ids.filter((id) => {
      const p = pid(id);
      return p !== undefined && alive(p);
    });
    return bootstrap[(up[0] ?? 1) - 1]!;
  };

  return {
    dir,
    clusterId,
    bootstrap,
    ids,
    binDir,
    startMs,
    restartCommand: (id) => `${join(binDir, 'broker.sh')} restart ${id}`,
    propertiesPath,
    pid,
    async stop(id) {
      await run(join(binDir, 'broker.sh'), ['stop', String(id)]);
    },
    async kill(id) {
      const p = pid(id);
      if (p === undefined) return;
      process.kill(p, 'SIGKILL');
      await waitGone(p);
      // The JVM's main thread turns zombie before its other threads have exited and closed the sockets: wait until
      // the listener is really gone, so what a test checks next sees a dead broker.
      await waitRefused(brokerPort(id));
      rmSync(join(dir, `n${id}`, 'broker.pid'), { force: true });
    },
    async start(id) {
      await run(join(binDir, 'broker.sh'), ['start', String(id)]);
      const others = await aliveBrokers().catch(() => [] as number[]);
      await waitForBrokers([...new Set([...others, id])]);
    },
    pause(id) {
      const p = pid(id);
      if (p !== undefined) process.kill(p, 'SIGSTOP');
    },
    resume(id) {
      const p = pid(id);
      if (p !== undefined) process.kill(p, 'SIGCONT');
    },
    tool: (mainClass, args) => run('java', [...toolOpts.split(' '), '-cp', cp, mainClass, ...args]),
    async kafkaTopics(args) {
      return (await run(join(binDir, 'kafka-topics.sh'), ['--bootstrap-server', aliveBootstrap(), ...args])).stdout;
    },
    async createTopics(topics) {
      const admin = kafka.admin();
      await admin.connect();
      try {
        // kafkajs' own waitForLeaders can ask a broker that has not seen the new topic yet and fail with
        // UNKNOWN_TOPIC_OR_PARTITION: wait here instead, until every partition has a leader.
        await admin.createTopics({
          timeout: 30_000,
          topics: topics.map((t) => ({
            topic: t.topic,
            ...(t.replicaAssignment ? { replicaAssignment: t.replicaAssignment } : { numPartitions: t.numPartitions, replicationFactor: t.replicationFactor ?? Math.min(3, n) }),
            ...(t.configEntries ? { configEntries: t.configEntries } : {}),
          })),
        });
        const names = topics.map((t) => t.topic);
        const deadline = Date.now() + 60_000;
        for (;;) {
          const md = await admin.fetchTopicMetadata({ topics: names }).catch(() => undefined);
          if (md && md.topics.length === names.length && md.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) return;
          if (Date.now() > deadline) throw new Error(`topics ${names.join(', ')} have no leader for every partition after 60 s`);
          await delay(200);
        }
      } finally {
        await admin.disconnect();
      }
    },
    aliveBrokers,
    waitForBrokers,
    async close() {
      process.removeListener('exit', killAllSync);
      // SIGKILL: a controlled shutdown of the whole cluster waits for a quorum that is going away.
      const pids = ids.map(pid).filter((p): p is number => p !== undefined);
      killAllSync();
      await Promise.all(pids.map(waitGone));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function writeScript(path: string, body: string): void {
  writeFileSync(path, body);
  chmodSync(path, 0o755);
}

/** A Kafka Uuid as StorageTool expects it: 16 random bytes, URL-safe base64 without padding. */
function kafkaUuid(): string {
  const b = randomBytes(16);
  // Kafka refuses ids whose string starts with '-'.
  b[0] = b[0]! & 0x7f;
  return b.toString('base64url').replace(/^-/, 'A');
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state !== 'Z' && state !== 'X') return true;
    // A zombie main thread while other threads still exit: the JVM still holds its sockets.
    return readdirSync(`/proc/${pid}/task`).length > 1;
  } catch {
    return false;
  }
}

async function freePorts(count: number): Promise<number[]> {
  // Held open together so no two are the same; closed just before the brokers bind them.
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise<import('node:net').Server>((resolve, reject) => {
      const s = createServer();
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => resolve(s));
    })),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

async function waitRefused(port: number): Promise<void> {
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.1', port });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (!open) return;
    await delay(50);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
