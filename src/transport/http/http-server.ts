import type { Server } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from '../../core/ports.js';
import { isValidWebexSignature } from '../webex/signature.js';

export interface HttpMetrics {
  observeRequest(route: string, method: string, status: number, seconds: number): void;
  render(): Promise<{ contentType: string; body: string }>;
}

export interface HttpServerOptions {
  log: Logger;
  metrics: HttpMetrics;
  /** Resolves when Redis answers; rejects otherwise. */
  ready: () => Promise<void>;
  webex?: {
    secret: string;
    /** Receives the parsed body of a verified delivery. */
    deliver: (body: unknown) => Promise<void>;
  };
  /** Extra routers (alerts) mounted before the 404 handler. */
  routers?: Array<{ path: string; router: express.Router }>;
  bodyLimit?: string;
  /**
   * Which endpoints this app serves. `all` (default): everything on one port. `public`: /webex, /alerts/*, /healthz,
   * for the port the ingress exposes. `admin`: /healthz, /readyz, /metrics, for probes and Prometheus only.
   */
  endpoints?: 'all' | 'public' | 'admin';
  /**
   * Express `trust proxy`: which peers may set X-Forwarded-For. Default false, so req.ip is the TCP peer and cannot be
   * forged; a hop count or the proxies' addresses/subnets when Medic sits behind a load balancer.
   */
  trustProxy?: false | number | string[];
  /** True once the process is shutting down: /readyz answers 503 so no new traffic is sent here. */
  stopping?: () => boolean;
  /** How long /readyz waits for `ready` (default 2 s). */
  readyTimeoutMs?: number;
}

/**
 * Receivers only carry traffic: verify the raw bytes, parse, hand over, answer. Logic lives in the use-cases.
 */
export function createHttpApp(opts: HttpServerOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', opts.trustProxy ?? false);
  const endpoints = opts.endpoints ?? 'all';
  const admin = endpoints !== 'public';
  const intake = endpoints !== 'admin';
  app.use((req, res, next) => {
    const start = process.hrtime.bigint();
    res.on('finish', () => {
      const route = req.route?.path ? `${req.baseUrl}${req.route.path}` : req.baseUrl || 'unmatched';
      opts.metrics.observeRequest(route, req.method, res.statusCode, Number(process.hrtime.bigint() - start) / 1e9);
    });
    next();
  });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  if (admin) {
    app.get('/readyz', async (_req, res) => {
      if (opts.stopping?.()) {
        res.status(503).json({ status: 'stopping' });
        return;
      }
      try {
        await withTimeout(opts.ready(), opts.readyTimeoutMs ?? 2_000);
        res.json({ status: 'ready' });
      } catch (e) {
        // The cause (host names, addresses, client errors) goes to the log, not to whoever can reach this port.
        opts.log.warn({ err: (e as Error).message }, 'readiness check failed');
        res.status(503).json({ status: 'not ready', reason: 'Redis did not answer; see the logs' });
      }
    });
    app.get('/metrics', async (_req, res) => {
      const m = await opts.metrics.render();
      res.type(m.contentType).send(m.body);
    });
  }

  const webex = intake ? opts.webex : undefined;
  if (webex) {
    app.post('/webex', express.raw({ type: () => true, limit: opts.bodyLimit ?? '256kb' }), (req, res) => {
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const sig = req.header('x-spark-signature');
      if (!isValidWebexSignature(raw, sig, webex.secret)) {
        opts.log.warn({ ip: req.ip, hasSignature: Boolean(sig), bytes: raw.length }, 'rejected Webex webhook: bad or missing X-Spark-Signature');
        res.status(401).json({ error: 'invalid signature' });
        return;
      }
      let body: unknown;
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        res.status(400).json({ error: 'body is not JSON' });
        return;
      }
      res.status(200).json({ ok: true });
      webex.deliver(body).catch((err) => opts.log.error({ err }, 'processing a Webex webhook failed'));
    });
  }

  if (intake) for (const r of opts.routers ?? []) app.use(r.path, r.router);

  app.use((_req, res) => {
    res.status(404).json({ error: 'not found' });
  });
  // One error boundary for the HTTP entry point; body-parser errors carry a status (413, 400).
  app.use((err: Error & { status?: number; type?: string }, req: Request, res: Response, _next: NextFunction) => {
    const status = err.status && err.status >= 400 && err.status < 600 ? err.status : 500;
    if (status >= 500) opts.log.error({ err, path: req.path }, 'HTTP handler failed');
    else opts.log.warn({ path: req.path, status, type: err.type }, 'HTTP request refused');
    res.status(status).json({ error: status === 413 ? 'payload too large' : status >= 500 ? 'internal error' : err.message });
  });
  return app;
}

export async function listen(app: express.Express, port: number, host: string): Promise<Server> {
  return await new Promise((resolve, reject) => {
    const server = app.listen(port, host, (err?: Error) => (err ? reject(err) : resolve(server)));
    server.once('error', reject);
  });
}

async function withTimeout(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
