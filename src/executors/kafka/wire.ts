import { connect, type Socket } from 'node:net';

/**
 * The two Kafka requests `kafka status` needs, Metadata v5 and DescribeConfigs v1, spoken directly over TCP.
 *
 * Why not kafkajs: its Metadata parser throws on the first partition that carries an error code (research §4.2),
 * and it encodes an empty topic list as "all topics", so with one offline partition in the cluster even
 * `admin.connect()` and `describeCluster()` fail (seen on Kafka 4.4 in test/executors/kafka.test.ts). A status has
 * to read exactly that cluster. These two requests are non-flexible versions every Kafka from 1.0 to 4.x serves.
 * Wire format: request = int32 size, int16 apiKey, int16 apiVersion, int32 correlationId, string clientId, body;
 * response = int32 size, int32 correlationId, body. Strings are int16-length-prefixed, arrays int32-count-prefixed.
 */

const METADATA = 3;
const DESCRIBE_CONFIGS = 32;
const TOPIC_RESOURCE = 2;
const MAX_RESPONSE_BYTES = 256 * 1024 * 1024;

export interface WireMetadata {
  brokers: Array<{ nodeId: number; host: string; port: number; rack: string | null }>;
  clusterId: string | null;
  controllerId: number;
  topics: Array<{
    errorCode: number;
    name: string;
    isInternal: boolean;
    partitions: Array<{ errorCode: number; partition: number; leader: number; replicas: number[]; isr: number[]; offlineReplicas: number[] }>;
  }>;
}

export interface WireConfigResource {
  errorCode: number;
  errorMessage: string | null;
  name: string;
  configs: Map<string, string | null>;
}

/** A Kafka broker connection for a handful of requests, in order (one in flight at a time). */
export class KafkaWireConnection {
  private correlation = 0;
  private buffer = Buffer.alloc(0);
  private waiting: { id: number; resolve: (b: Buffer) => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;

  private constructor(
    private readonly socket: Socket,
    private readonly clientId: string,
    private readonly timeoutMs: number,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (e) => this.fail(e));
    socket.on('close', () => this.fail(new Error('the broker closed the connection')));
  }

  static async open(hostPort: string, opts: { clientId?: string; timeoutMs?: number; signal?: AbortSignal } = {}): Promise<KafkaWireConnection> {
    const { host, port } = splitHostPort(hostPort);
    const timeoutMs = opts.timeoutMs ?? 5000;
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect({ host, port });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new Error(`no answer from ${hostPort} within ${timeoutMs} ms`));
      }, timeoutMs);
      const onAbort = (): void => {
        clearTimeout(timer);
        s.destroy();
        reject(opts.signal!.reason instanceof Error ? opts.signal!.reason : new Error('aborted'));
      };
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      s.once('connect', () => {
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        resolve(s);
      });
      s.once('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        reject(new Error(`${hostPort}: ${e.code ?? e.message}`));
      });
    });
    return new KafkaWireConnection(socket, opts.clientId ?? 'medic', timeoutMs);
  }

  close(): void {
    this.socket.destroy();
  }

  /** Metadata v5 of the given topics, or of every topic when `topics` is null. Partition errors are data here. */
  async metadata(topics: string[] | null): Promise<WireMetadata> {
    const body = new Writer();
    body.nullableArray(topics, (w, t) => w.string(t));
    body.int8(0); // allow_auto_topic_creation: a status never creates topics
    const r = new Reader(await this.request(METADATA, 5, body));
    r.int32(); // throttle_time_ms
    const brokers = r.array(() => ({ nodeId: r.int32(), host: r.string(), port: r.int32(), rack: r.nullableString() }));
    const clusterId = r.nullableString();
    const controllerId = r.int32();
    const topicList = r.array(() => ({
      errorCode: r.int16(),
      name: r.string(),
      isInternal: r.int8() !== 0,
      partitions: r.array(() => ({
        errorCode: r.int16(),
        partition: r.int32(),
        leader: r.int32(),
        replicas: r.array(() => r.int32()),
        isr: r.array(() => r.int32()),
        offlineReplicas: r.array(() => r.int32()),
      })),
    }));
    return { brokers, clusterId, controllerId, topics: topicList };
  }

  /** DescribeConfigs v1 of topics (values include broker defaults, as the broker resolves them). */
  async describeTopicConfigs(topics: string[], configNames: string[]): Promise<WireConfigResource[]> {
    const body = new Writer();
    body.array(topics, (w, t) => {
      w.int8(TOPIC_RESOURCE);
      w.string(t);
      w.nullableArray(configNames, (w2, n) => w2.string(n));
    });
    body.int8(0); // include_synonyms
    const r = new Reader(await this.request(DESCRIBE_CONFIGS, 1, body));
    r.int32(); // throttle_time_ms
    return r.array(() => {
      const errorCode = r.int16();
      const errorMessage = r.nullableString();
      r.int8(); // resource_type
      const name = r.string();
      const configs = new Map<string, string | null>();
      r.array(() => {
        const key = r.string();
        const value = r.nullableString();
        r.int8(); // read_only
        r.int8(); // config_source
        r.int8(); // is_sensitive
        r.array(() => [r.string(), r.nullableString(), r.int8()]); // synonyms
        configs.set(key, value);
      });
      return { errorCode, errorMessage, name, configs };
    });
  }

  private async request(apiKey: number, apiVersion: number, body: Writer): Promise<Buffer> {
    if (this.failure) throw this.failure;
    const id = ++this.correlation;
    const header = new Writer();
    header.int16(apiKey).int16(apiVersion).int32(id).string(this.clientId);
    const payload = Buffer.concat([header.bytes(), body.bytes()]);
    const size = Buffer.alloc(4);
    size.writeInt32BE(payload.length);
    return await new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        reject(new Error(`the broker did not answer request ${apiKey} v${apiVersion} within ${this.timeoutMs} ms`));
        this.socket.destroy();
      }, this.timeoutMs);
      this.waiting = {
        id,
        resolve: (b) => {
          clearTimeout(timer);
          resolve(b);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.socket.write(Buffer.concat([size, payload]));
    });
  }

  private onData(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    while (this.buffer.length >= 4) {
      const size = this.buffer.readInt32BE(0);
      if (size < 4 || size > MAX_RESPONSE_BYTES) return this.fail(new Error(`the broker sent a response of ${size} bytes, which is not Kafka's framing`));
      if (this.buffer.length < 4 + size) return;
      const frame = this.buffer.subarray(4, 4 + size);
      this.buffer = this.buffer.subarray(4 + size);
      const correlation = frame.readInt32BE(0);
      const w = this.waiting;
      if (!w || w.id !== correlation) continue;
      this.waiting = undefined;
      w.resolve(frame.subarray(4));
    }
  }

  private fail(e: Error): void {
    this.failure ??= e;
    const w = this.waiting;
    this.waiting = undefined;
    w?.reject(e);
  }
}

export function splitHostPort(hostPort: string): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(hostPort.trim());
  if (!m) throw new Error(`"${hostPort}" is not host:port`);
  return { host: m[1]!, port: Number(m[2]) };
}

class Writer {
  private parts: Buffer[] = [];
  int8(v: number): this {
    const b = Buffer.alloc(1);
    b.writeInt8(v);
    this.parts.push(b);
    return this;
  }
  int16(v: number): this {
    const b = Buffer.alloc(2);
    b.writeInt16BE(v);
    this.parts.push(b);
    return this;
  }
  int32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32BE(v);
    this.parts.push(b);
    return this;
  }
  string(s: string): this {
    const b = Buffer.from(s, 'utf8');
    this.int16(b.length);
    this.parts.push(b);
    return this;
  }
  array<T>(items: T[], each: (w: this, item: T) => void): this {
    this.int32(items.length);
    for (const i of items) each(this, i);
    return this;
  }
  nullableArray<T>(items: T[] | null, each: (w: this, item: T) => void): this {
    if (items === null) return this.int32(-1);
    return this.array(items, each);
  }
  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

class Reader {
  private offset = 0;
  constructor(private readonly buf: Buffer) {}
  private need(n: number): void {
    if (this.offset + n > this.buf.length) throw new Error('the broker\u2019s answer ended early (not the expected protocol version?)');
  }
  int8(): number {
    this.need(1);
    return this.buf.readInt8(this.offset++);
  }
  int16(): number {
    this.need(2);
    const v = this.buf.readInt16BE(this.offset);
    this.offset += 2;
    return v;
  }
  int32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.offset);
    this.offset += 4;
    return v;
  }
  nullableString(): string | null {
    const len = this.int16();
    if (len < 0) return null;
    this.need(len);
    const s = this.buf.toString('utf8', this.offset, this.offset + len);
    this.offset += len;
    return s;
  }
  string(): string {
    return this.nullableString() ?? '';
  }
  array<T>(each: () => T): T[] {
    const n = this.int32();
    if (n < 0) return [];
    if (n > this.buf.length) throw new Error('the broker\u2019s answer has an impossible array length');
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(each());
    return out;
  }
}
