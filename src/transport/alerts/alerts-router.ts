import { createHash, timingSafeEqual } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Alert, DeadLetterEntry, ReplayGuard } from '../../core/alert.js';
import type { TokenSource } from '../../core/routes.js';
import type { Clock, Logger } from '../../core/ports.js';
import { normalizeAlertmanager, normalizeCloudWatchAlarm, normalizeDatadog, normalizeGeneric, PayloadError, zodReason } from './normalize.js';
import { createSnsVerifier, isSnsHost, SnsEnvelopeSchema, SnsRejected, type SnsEnvelope } from './sns.js';

/**
 * `POST /alerts/{datadog,alertmanager,generic,sns}`. The router only carries traffic: authenticate, parse,
 * normalize, hand the alerts to `enqueue`, and answer 202 once that resolved (the queue has them durably),
 * so a sender that retries after a timeout or a 5xx loses nothing and, because job ids derive from each
 * alert's delivery key, duplicates nothing.
 */

/** Why a request was turned away, as the `reason` label of `medic_alerts_rejected_total` (a closed set). */
export type RejectReason = 'token' | 'payload' | 'not-sns' | 'topic' | 'stale' | 'signature' | 'subscribe-url';

export interface AlertsRouterDeps {
  /**
   * Bearer token per source; a source without one answers 401 and says why. Each endpoint compares only its own
   * source's token, so one sender's token opens no other endpoint.
   */
  tokens: Partial<Record<TokenSource, string>>;
  /** Counts every request turned away (the metric is all a forged SNS request leaves behind). */
  rejected?(source: string, reason: RejectReason): void;
  /** Resolves once every alert is durably queued (duplicates of queued ones count as queued). */
  enqueue(alerts: Alert[]): Promise<{ created: number; duplicates: number }>;
  deadLetter(entry: DeadLetterEntry): Promise<void>;
  /** GET for SNS certificates and subscription confirmations (only SNS hosts of `sns.regions` are asked). */
  fetcher(url: string): Promise<{ status: number; body: string }>;
  clock: Clock;
  log: Logger;
  sns?: { regions: readonly string[]; topicArns?: readonly string[]; maxAgeMs: number; replay: ReplayGuard };
  bodyLimitBytes?: number;
}

type Normalizer = (body: unknown, receivedAt: number) => Alert[];

const DEAD_LETTER_BODY_MAX = 64 * 1024;

function sha(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Constant-time: both sides hashed to equal length first, so neither the length nor a prefix leaks. */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return !!m && timingSafeEqual(sha(m[1]!), sha(token));
}

export function createAlertsRouter(deps: AlertsRouterDeps): express.Router {
  const router = express.Router();
  const limit = deps.bodyLimitBytes ?? 1024 * 1024;
  // SNS posts `text/plain`; Datadog and scripts vary: read every body as bytes and parse JSON ourselves.
  const raw = express.raw({ type: () => true, limit });

  const rejected = (source: string, reason: RejectReason) => {
    try {
      deps.rejected?.(source, reason);
    } catch (e) {
      deps.log.error({ err: e }, 'could not count a rejected alert request');
    }
  };

  const requireToken = (source: TokenSource) => (req: Request, res: Response, next: NextFunction) => {
    const token = deps.tokens[source];
    if (!token) {
      rejected(source, 'token');
      res.status(401).json({ error: `alert intake from ${source} is disabled: set MEDIC_ALERT_TOKEN, or alerts.sources.${source}.tokenEnv in the config file and that variable` });
      return;
    }
    if (!bearerMatches(req.header('authorization'), token)) {
      rejected(source, 'token');
      deps.log.warn({ ip: req.ip, path: req.path, hasAuth: Boolean(req.header('authorization')) }, 'alert refused: bad or missing bearer token');
      res.status(401).set('WWW-Authenticate', 'Bearer').json({ error: `missing or wrong Authorization: Bearer <the ${source} alert token>` });
      return;
    }
    next();
  };

  async function refuse(req: Request, res: Response, route: string, reason: string, bodyText: string): Promise<void> {
    rejected(route, 'payload');
    deps.log.warn({ route, reason, bytes: bodyText.length }, 'alert payload refused');
    try {
      await deps.deadLetter({ route, reason, receivedAt: deps.clock.now(), body: bodyText.slice(0, DEAD_LETTER_BODY_MAX), remote: req.ip });
    } catch (e) {
      deps.log.error({ err: e }, 'could not keep a refused payload in the dead-letter list');
    }
    res.status(400).json({ error: reason });
  }

  function parseJson(buf: unknown): { ok: true; value: unknown; text: string } | { ok: false; text: string; reason: string } {
    const text = Buffer.isBuffer(buf) ? buf.toString('utf8') : '';
    if (!text.trim()) return { ok: false, text, reason: 'the body is empty; send a JSON payload' };
    try {
      return { ok: true, value: JSON.parse(text), text };
    } catch (e) {
      return { ok: false, text, reason: `the body is not JSON: ${(e as Error).message}` };
    }
  }

  async function accept(res: Response, alerts: Alert[], route: string): Promise<void> {
    try {
      const r = alerts.length ? await deps.enqueue(alerts) : { created: 0, duplicates: 0 };
      res.status(202).json({ accepted: alerts.length, created: r.created, duplicates: r.duplicates });
    } catch (e) {
      // 503 makes Datadog/Alertmanager/SNS retry later: nothing was lost.
      deps.log.error({ err: e, route }, 'could not queue alerts');
      res.status(503).json({ error: 'cannot queue the alert right now; retry' });
    }
  }

  const tokenRoute = (name: TokenSource, normalize: Normalizer) => {
    router.post(`/${name}`, requireToken(name), raw, async (req, res) => {
      const parsed = parseJson(req.body);
      if (!parsed.ok) return refuse(req, res, name, parsed.reason, parsed.text);
      let alerts: Alert[];
      try {
        alerts = normalize(parsed.value, deps.clock.now());
      } catch (e) {
        if (e instanceof PayloadError) return refuse(req, res, name, `not a valid ${name} payload: ${e.message}`, parsed.text);
        throw e;
      }
      await accept(res, alerts, name);
    });
  };
  tokenRoute('datadog', normalizeDatadog);
  tokenRoute('alertmanager', normalizeAlertmanager);
  tokenRoute('generic', normalizeGeneric);

  const sns = deps.sns;
  const verifier = sns ? createSnsVerifier({ regions: sns.regions, fetcher: deps.fetcher, now: () => deps.clock.now() }) : undefined;
  router.post('/sns', raw, async (req, res) => {
    if (!sns || !verifier) {
      res.status(404).json({ error: 'SNS intake is not configured (alerts.sns.regions in the config file)' });
      return;
    }
    // Anyone can post here: until the signature is verified, a refusal writes nothing (no dead letter, no log
    // line above debug) beyond the counter, so forged traffic cannot flood the dead-letter list or the logs.
    const reject = (status: number, reason: RejectReason, message: string) => {
      rejected('sns', reason);
      deps.log.debug({ reason, message }, 'SNS request rejected');
      res.status(status).json({ error: message });
    };
    const parsed = parseJson(req.body);
    if (!parsed.ok) return reject(400, 'not-sns', parsed.reason);
    const env = SnsEnvelopeSchema.safeParse(parsed.value);
    if (!env.success) return reject(400, 'not-sns', `not an SNS message: ${zodReason(env.error)}`);
    const m: SnsEnvelope = env.data;
    if (sns.topicArns?.length && !sns.topicArns.includes(m.TopicArn)) return reject(403, 'topic', `topic ${m.TopicArn.slice(0, 200)} is not one Medic subscribes to`);
    const sent = Date.parse(m.Timestamp);
    const now = deps.clock.now();
    if (Number.isNaN(sent)) return reject(400, 'stale', 'Timestamp is not a date');
    if (now - sent > sns.maxAgeMs) return reject(400, 'stale', `message is too old (sent ${m.Timestamp.slice(0, 40)}): replay refused`);
    if (sent - now > 5 * 60_000) return reject(400, 'stale', `message is from the future (sent ${m.Timestamp.slice(0, 40)})`);
    try {
      await verifier.verify(m);
    } catch (e) {
      if (e instanceof SnsRejected) return reject(403, 'signature', e.message);
      throw e;
    }
    if (await sns.replay.seen(m.MessageId)) {
      // SNS redelivers when our answer was lost; 200 stops it, and the message is not processed twice.
      res.status(200).json({ duplicate: true });
      return;
    }
    if (m.Type === 'SubscriptionConfirmation') {
      if (!m.SubscribeURL || !isSnsHost(m.SubscribeURL, sns.regions)) return reject(403, 'subscribe-url', 'SubscribeURL is not an SNS host of the configured regions');
      const r = await deps.fetcher(m.SubscribeURL);
      if (r.status !== 200) {
        deps.log.error({ topic: m.TopicArn, status: r.status }, 'SNS subscription confirmation failed');
        res.status(502).json({ error: `confirming the subscription answered ${r.status}` });
        return;
      }
      await sns.replay.remember(m.MessageId, sns.maxAgeMs);
      deps.log.info({ topic: m.TopicArn }, 'SNS subscription confirmed');
      res.status(200).json({ confirmed: true });
      return;
    }
    if (m.Type === 'UnsubscribeConfirmation') {
      deps.log.warn({ topic: m.TopicArn }, 'SNS unsubscribed this endpoint');
      res.status(200).json({ ok: true });
      return;
    }
    let alerts: Alert[];
    try {
      alerts = normalizeCloudWatchAlarm(m.Message, deps.clock.now());
    } catch (e) {
      if (e instanceof PayloadError) return refuse(req, res, 'sns', e.message, parsed.text);
      throw e;
    }
    await accept(res, alerts, 'sns');
    if (res.statusCode === 202) await sns.replay.remember(m.MessageId, sns.maxAgeMs);
  });

  // This router's own error boundary, so a refusal is JSON that names the problem (body-parser sets status).
  router.use((err: Error & { status?: number; type?: string }, req: Request, res: Response, _next: NextFunction) => {
    if (err.status === 413 || err.type === 'entity.too.large') {
      res.status(413).json({ error: `payload too large: the limit is ${limit} bytes` });
      return;
    }
    if (err.status && err.status >= 400 && err.status < 500) {
      res.status(err.status).json({ error: err.message });
      return;
    }
    deps.log.error({ err, path: req.path }, 'alert intake failed');
    res.status(500).json({ error: 'internal error' });
  });
  return router;
}
