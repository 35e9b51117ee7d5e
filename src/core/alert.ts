import { createHash } from 'node:crypto';

/**
 * One monitoring alert, whatever sent it. The transport normalizes Datadog, Alertmanager, CloudWatch (SNS) and
 * the generic JSON into this; everything after the HTTP edge (dedupe, grouping, routes) reads only this type.
 */

export const ALERT_SOURCES = ['datadog', 'alertmanager', 'sns', 'generic'] as const;
export type AlertSource = (typeof ALERT_SOURCES)[number];

export const ALERT_SEVERITIES = ['critical', 'warning', 'info'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

export type AlertStatus = 'firing' | 'resolved';

export interface Alert {
  source: AlertSource;
  /** The monitor/rule id as the source names it (Datadog monitor id, Alertmanager fingerprint, alarm ARN). */
  id: string;
  /** Stable identity of the alerting thing: source + id + scope. Same alert on another host = other fingerprint. */
  fingerprint: string;
  /**
   * The episode (Datadog `$ALERT_CYCLE_KEY`, Alertmanager `startsAt`). Absent when the source gives none: the
   * incident store then treats a firing after a resolve as a new episode.
   */
  cycle?: string;
  status: AlertStatus;
  title: string;
  severity: AlertSeverity;
  /** From tags/labels `env`/`environment`. */
  environment?: string;
  /** Host or instance id, from tags/labels (`host`, `instance`, `instance_id`, InstanceId dimension). */
  target?: string;
  service?: string;
  /** Tags as key → value (a bare tag `foo` becomes `foo: ''`). */
  tags: Record<string, string>;
  link?: string;
  /**
   * When the source says the alert started/ended (ms since epoch). A resolution carries `startedAt` only where the
   * source repeats the episode's start in it (Alertmanager `startsAt`, generic `startedAt`); Datadog's and
   * CloudWatch's recovery time is `endedAt`.
   */
  startedAt?: number;
  endedAt?: number;
  /** When Medic accepted it. */
  receivedAt: number;
  /**
   * What distinguishes this notification from a retry of itself: queue job ids derive from it, so a sender's
   * retry is the same job while a Re-Triggered is not a new episode either (same cycle, same status).
   */
  deliveryKey: string;
  /** The source payload (this alert's part of it), JSON, clipped to RAW_MAX characters. */
  raw: string;
}

export const RAW_MAX = 4096;

export function clipRaw(value: unknown): string {
  const s = JSON.stringify(value) ?? '';
  return s.length <= RAW_MAX ? s : `${s.slice(0, RAW_MAX - 1)}…`;
}

export function shortHash(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('base64url').replace(/[-_]/g, '').slice(0, 16);
}

/** The episode an alert belongs to: fingerprint + cycle (or the current one when the source has no cycle). */
export function episodeKey(alert: Pick<Alert, 'fingerprint' | 'cycle'>): string {
  return shortHash(alert.fingerprint, alert.cycle ?? '~current');
}

/** Tags from `a:b,c:d` (Datadog `$TAGS`, `$ALERT_SCOPE`), arrays of `k:v`, or an object. Keys lower-cased. */
export function parseTags(input: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  const add = (k: string, v: string) => {
    const key = k.trim().toLowerCase();
    if (key && !(key in out)) out[key] = v.trim();
  };
  const addPair = (t: string) => {
    const s = t.trim();
    if (!s) return;
    const i = s.indexOf(':');
    if (i < 0) add(s, '');
    else add(s.slice(0, i), s.slice(i + 1));
  };
  if (typeof input === 'string') input.split(',').forEach(addPair);
  else if (Array.isArray(input)) input.forEach((t) => typeof t === 'string' && addPair(t));
  else if (input && typeof input === 'object') for (const [k, v] of Object.entries(input)) if (v !== null && v !== undefined) add(k, String(v));
  return out;
}

/** Environment, target and service from tags, by the names monitoring tools use for them. */
export function placeFromTags(tags: Record<string, string>): { environment?: string; target?: string; service?: string } {
  const pick = (...keys: string[]) => keys.map((k) => tags[k]).find((v) => v !== undefined && v !== '');
  return {
    environment: pick('env', 'environment', 'medic_env'),
    target: pick('instance_id', 'instance-id', 'instanceid', 'host', 'hostname', 'instance'),
    service: pick('service', 'app', 'job'),
  };
}

export function severityFrom(value: string | undefined, fallback: AlertSeverity = 'warning'): AlertSeverity {
  const v = (value ?? '').trim().toLowerCase();
  if (!v) return fallback;
  if (/^(critical|crit|page|high|severe|error|p1|p2|disaster|emergency|fatal)$/.test(v)) return 'critical';
  if (/^(warning|warn|medium|p3|average|minor)$/.test(v)) return 'warning';
  if (/^(info|informational|low|p4|p5|none|success|ok)$/.test(v)) return 'info';
  return fallback;
}

/** A short line that identifies an alert in a summary. */
export function alertLine(a: Pick<Alert, 'title' | 'target' | 'severity'>): string {
  return `${a.title}${a.target ? ` (${a.target})` : ''}`;
}

// --- incidents ---------------------------------------------------------------------------------------------

/** What the incident store keeps about one incident (one thread in the incident space). */
export interface IncidentRecord {
  id: string;
  space: string;
  environment?: string;
  /** Message id of the first card: the thread's parent. Unset until the card is posted. */
  thread?: string;
  /** Episode that opened the incident: it posts the first card. */
  opener: string;
  openedAt: number;
  /** Episodes that joined (opener included). */
  episodes: number;
  /** Episodes still firing. */
  firing: number;
}

/** An alert that joined an incident after it opened, waiting for the next follow-up. */
export interface PendingAlert {
  episode: string;
  alert: Alert;
  route?: string;
}

export type RecordOutcome =
  | { kind: 'opened'; incident: IncidentRecord; episode: string }
  | { kind: 'joined'; incident: IncidentRecord; episode: string }
  /** Already known; `stage` says how far its handling got, so a retried job can finish it. */
  | { kind: 'duplicate'; incident: IncidentRecord; episode: string; stage: 'new' | 'queued' | 'announced' }
  /**
   * `firstSeen`: when Medic first recorded the episode firing; `startedAt`: the start its triggering payload gave
   * (undefined when it gave none, or for episodes recorded before Medic kept it).
   */
  | { kind: 'resolved'; incident: IncidentRecord; episode: string; firstSeen?: number; startedAt?: number; title: string }
  /** Resolved for an episode Medic never saw firing: told once (a repeat is `ignored`), without a start. */
  | { kind: 'unmatched'; episode: string }
  /** A resolution of an episode already resolved. */
  | { kind: 'ignored'; reason: string };

/**
 * Incident state shared by every replica (Redis). Each call is atomic, so concurrent deliveries of one alert
 * open exactly one incident, and alerts of one environment within the window join it.
 */
export interface IncidentStore {
  record(alert: Alert, opts: { space: string; route?: string; windowMs: number; now: number }): Promise<RecordOutcome>;
  setThread(incidentId: string, messageId: string): Promise<void>;
  /**
   * A lease on opening an incident (posting its first card, submitting its jobs). `record` grants it to the
   * delivery that opened; a retry after a failure claims it again, concurrent duplicates do not get it.
   */
  claimOpening(episode: string, ttlMs: number): Promise<boolean>;
  releaseOpening(episode: string): Promise<void>;
  /** Marks an episode's first card/jobs as done, so a duplicate does not redo them. */
  markAnnounced(episode: string): Promise<void>;
  get(incidentId: string): Promise<IncidentRecord | undefined>;
  /** Up to `max` alerts that joined and are not yet announced, oldest first (not removed: see `ackPending`). */
  peekPending(incidentId: string, max: number): Promise<PendingAlert[]>;
  ackPending(incidentId: string, count: number): Promise<void>;
  /** Counts one outcome of a route's automatic job (once per job id); returns consecutive failures. */
  routeOutcome(route: string, jobId: string, ok: boolean): Promise<{ counted: boolean; consecutiveFailures: number }>;
  /** Opens (true) or closes the route's breaker; returns whether it changed. */
  setBreaker(route: string, open: boolean): Promise<boolean>;
  breakerOpen(route: string): Promise<boolean>;
  /** Spends one unit of a (route, target) budget; false when the window's budget is already spent. */
  spendBudget(route: string, target: string, max: number, windowMs: number): Promise<boolean>;
}

// --- intake ------------------------------------------------------------------------------------------------

/** A payload Medic refused, kept (bounded) for an operator to inspect. */
export interface DeadLetterEntry {
  route: string;
  reason: string;
  receivedAt: number;
  /** The body as received, clipped. */
  body: string;
  remote?: string;
}

/** Remembers ids already processed (SNS MessageIds), shared by every replica. */
export interface ReplayGuard {
  seen(id: string): Promise<boolean>;
  remember(id: string, ttlMs: number): Promise<void>;
}
