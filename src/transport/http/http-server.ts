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
}

/**
 * Receivers only carry traffic: verify the raw bytes, parse, hand over, answer. Logic lives in the use-cases.
 */
export function createHttpApp(opts: HttpServerOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', true);
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
  app.get('/readyz', async (_req, res) => {
    try {
      await opts.ready();
      res.json({ status: 'ready' });
    } catch (e) {
      res.status(503).json({ status: 'not ready', reason: (e as Error).message });
    }
  });
  app.get('/metrics', async (_req, res) => {
    const m = await opts.metrics.render();
    res.type(m.contentType).send(m.body);
  });

  const webex = opts.webex;
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

  for (const r of opts.routers ?? []) app.use(r.path, r.router);

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
