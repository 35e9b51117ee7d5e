import { z } from 'zod';
import {
  ALERT_SEVERITIES,
  clipRaw,
  parseTags,
  placeFromTags,
  severityFrom,
  shortHash,
  type Alert,
  type AlertSeverity,
  type AlertStatus,
} from '../../core/alert.js';

/**
 * Payload schemas and their normalization into `Alert`. A payload that cannot become an alert throws
 * `PayloadError` whose message says what is missing, in the sender's vocabulary (`$ALERT_ID`, `status`...).
 */
export class PayloadError extends Error {
  override readonly name = 'PayloadError';
}

export function zodReason(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => (i.path.length ? `${i.path.map(String).join('.')}: ${i.message}` : i.message))
    .join('; ');
}

function parseWith<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body);
  if (!r.success) throw new PayloadError(zodReason(r.error));
  return r.data;
}

/** Epoch seconds/ms (number or numeric string) or an ISO date → ms; undefined for nothing usable. */
export function toMs(v: unknown): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'number' || /^\d+$/.test(String(v))) {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) return undefined;
    return n < 1e11 ? n * 1000 : n;
  }
  const t = Date.parse(String(v));
  return Number.isNaN(t) || t <= 0 ? undefined : t;
}

const scalar = z.union([z.string(), z.number()]).transform((v) => String(v).trim());

// --- Datadog -------------------------------------------------------------------------------------------------

/**
 * Datadog bodies are templates the user writes, so one schema accepts Medic's template
 * (docs/datadog-webhook-template.json), Datadog's default template (`id`, `title`, `body`, `event_type`, `date`)
 * and the common custom spellings (`alert_id`/`alertid`, `alert_transition`/`alerttransition`, ...).
 */
const DatadogSchema = z.looseObject({
  id: scalar.optional(),
  alert_id: scalar.optional(),
  alertid: scalar.optional(),
  alertId: scalar.optional(),
  transition: z.string().optional(),
  alert_transition: z.string().optional(),
  alerttransition: z.string().optional(),
  cycle: scalar.optional(),
  alert_cycle_key: scalar.optional(),
  aggreg: scalar.optional(),
  aggreg_key: scalar.optional(),
  title: z.string().optional(),
  event_title: z.string().optional(),
  alert_title: z.string().optional(),
  body: z.unknown().optional(),
  message: z.unknown().optional(),
  event_type: z.string().optional(),
  alert_type: z.string().optional(),
  alerttype: z.string().optional(),
  priority: z.string().optional(),
  alert_priority: z.string().optional(),
  severity: z.string().optional(),
  scope: z.string().optional(),
  alert_scope: z.string().optional(),
  tags: z.union([z.string(), z.array(z.string()), z.record(z.string(), z.unknown())]).optional(),
  hostname: z.string().optional(),
  host: z.string().optional(),
  service: z.string().optional(),
  link: z.string().optional(),
  event_url: z.string().optional(),
  url: z.string().optional(),
  date: scalar.optional(),
  last_updated: scalar.optional(),
});

const TRANSITION_PREFIX = /^\s*\[(Triggered|Re-Triggered|Recovered|Warn|Re-Warn|No Data|Re-No Data|Renotify|OK|Resolved|Alert|P[1-5])\b[^\]]*\]\s*/i;

function datadogStatus(transition: string | undefined): AlertStatus | undefined {
  const t = (transition ?? '').trim().toLowerCase();
  if (!t) return undefined;
  if (/^(recovered|resolved|ok|success|recovery)$/.test(t)) return 'resolved';
  if (/^(triggered|re-triggered|warn|re-warn|no data|re-no data|renotify|alert|error|warning|p[1-5])$/.test(t)) return 'firing';
  return undefined;
}

function firstText(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const line = v
    .replace(/%%%/g, '')
    .split('\n')
    .map((l) => l.replace(/@[\w.-]+/g, '').trim())
    .find((l) => l.length > 0);
  return line?.slice(0, 300);
}

export function normalizeDatadog(body: unknown, receivedAt: number): Alert[] {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new PayloadError('a Datadog webhook body is one JSON object (see docs/datadog-webhook-template.json)');
  const d = parseWith(DatadogSchema, body);
  const text = [d.link, d.event_url, typeof d.body === 'string' ? d.body : undefined].filter(Boolean).join(' ');
  const monitorFromText = /monitors[#/](\d+)/.exec(text)?.[1];
  const alertId = d.alert_id || d.alertid || d.alertId || monitorFromText;
  const rawTitle = d.title || d.event_title || d.alert_title || firstText(d.message) || firstText(d.body);
  if (!alertId && !d.id) throw new PayloadError('no alert id: put "alert_id": "$ALERT_ID" in the payload template (docs/datadog-webhook-template.json)');
  if (!rawTitle) throw new PayloadError('no title: put "title": "$EVENT_TITLE" in the payload template');
  const transition = d.transition || d.alert_transition || d.alerttransition || TRANSITION_PREFIX.exec(rawTitle)?.[1] || d.event_type;
  const status = datadogStatus(transition);
  if (!status) throw new PayloadError(`cannot tell firing from resolved: transition ${transition ? `"${transition}" is not one Datadog sends` : 'missing'} (put "transition": "$ALERT_TRANSITION" in the template)`);
  const scope = d.scope || d.alert_scope || '';
  const tags = { ...parseTags(d.tags), ...parseTags(scope) };
  const place = placeFromTags(tags);
  const target = place.target ?? (d.hostname || d.host || undefined);
  const cycle = d.cycle || d.alert_cycle_key || undefined;
  const normScope = scope.split(',').map((s) => s.trim()).filter(Boolean).sort().join(',');
  // Without $ALERT_ID we only have the event id, which changes per event: each event is then its own alert.
  const fingerprint = `datadog:${alertId ?? `event-${d.id}`}:${normScope || target || ''}`;
  const typeSeverity = d.alert_type || d.alerttype;
  const severity: AlertSeverity = severityFrom(d.severity || d.priority || d.alert_priority, severityFrom(typeSeverity === 'error' ? 'critical' : typeSeverity));
  const eventTime = d.date || d.last_updated;
  return [
    {
      source: 'datadog',
      id: alertId ?? `event-${d.id}`,
      fingerprint,
      cycle,
      status,
      title: rawTitle.replace(TRANSITION_PREFIX, '').trim() || rawTitle,
      severity,
      environment: place.environment,
      target,
      service: place.service ?? d.service,
      tags,
      link: d.link || d.event_url || d.url || undefined,
      // $DATE is when this notification's transition happened: the start of a trigger, the end of a recovery.
      ...(status === 'resolved' ? { endedAt: toMs(eventTime) } : { startedAt: toMs(eventTime) }),
      receivedAt,
      // A retry resends the same body; without a cycle key the event time tells two notifications apart.
      deliveryKey: `${fingerprint}|${cycle ?? `t${eventTime ?? d.id ?? ''}`}|${status}`,
      raw: clipRaw(body),
    },
  ];
}

// --- Alertmanager ----------------------------------------------------------------------------------------------

const Labels = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String));

const AmAlertSchema = z.looseObject({
  status: z.enum(['firing', 'resolved']).optional(),
  labels: Labels.default({}),
  annotations: Labels.default({}),
  startsAt: z.string().optional(),
  endsAt: z.string().optional(),
  generatorURL: z.string().optional(),
  fingerprint: z.string().optional(),
});

/** Webhook v4 (and the v3/legacy payloads still sent by old Alertmanagers: numeric version and groupKey). */
const AlertmanagerSchema = z.looseObject({
  version: scalar.optional(),
  groupKey: scalar.optional(),
  status: z.enum(['firing', 'resolved'], { message: 'status must be "firing" or "resolved"' }),
  receiver: z.string().optional(),
  alerts: z.array(AmAlertSchema).min(1, 'alerts[] is empty').max(5000),
  groupLabels: Labels.optional(),
  commonLabels: Labels.optional(),
  commonAnnotations: Labels.optional(),
  externalURL: z.string().optional(),
  truncatedAlerts: z.number().optional(),
});

/** Alertmanager's zero time `0001-01-01T00:00:00Z` means "not ended". */
function amTime(v: string | undefined): number | undefined {
  if (!v || v.startsWith('0001-')) return undefined;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : t;
}

export function normalizeAlertmanager(body: unknown, receivedAt: number): Alert[] {
  const p = parseWith(AlertmanagerSchema, body);
  return p.alerts.map((a) => {
    const labels = { ...(p.commonLabels ?? {}), ...a.labels };
    const annotations = { ...(p.commonAnnotations ?? {}), ...a.annotations };
    const tags = parseTags(labels);
    const place = placeFromTags(tags);
    // Alertmanager's fingerprint hashes the label set; compute the same idea when an old sender omits it.
    const fp = a.fingerprint || shortHash(...Object.entries(labels).sort(([x], [y]) => x.localeCompare(y)).map(([k, v]) => `${k}=${v}`));
    const status = a.status ?? p.status;
    const name = labels.alertname;
    const summary = annotations.summary || annotations.message || annotations.description || annotations.name;
    const title = (name && summary ? `${name}: ${summary}` : name || summary || `Alertmanager alert ${fp}`).slice(0, 300);
    const fingerprint = `alertmanager:${fp}`;
    // startsAt is constant over an episode: it is the cycle.
    const cycle = a.startsAt || undefined;
    return {
      source: 'alertmanager',
      id: fp,
      fingerprint,
      cycle,
      status,
      title,
      severity: severityFrom(labels.severity || labels.priority),
      environment: place.environment,
      // `instance` is host:port for exporters; the port is not part of the host.
      target: place.target?.replace(/:\d+$/, ''),
      service: place.service,
      tags,
      link: a.generatorURL || p.externalURL || undefined,
      startedAt: amTime(a.startsAt),
      endedAt: status === 'resolved' ? amTime(a.endsAt) : undefined,
      receivedAt,
      deliveryKey: `${fingerprint}|${cycle ?? ''}|${status}`,
      raw: clipRaw(a),
    } satisfies Alert;
  });
}

// --- generic -------------------------------------------------------------------------------------------------

/** The documented JSON for APM tools and scripts (docs/alerts.md). */
export const GenericAlertSchema = z
  .object({
    id: z.string().min(1).max(200),
    status: z.enum(['firing', 'resolved']),
    title: z.string().min(1).max(500),
    severity: z.enum(ALERT_SEVERITIES).default('warning'),
    environment: z.string().min(1).max(100).optional(),
    target: z.string().min(1).max(200).optional(),
    service: z.string().min(1).max(200).optional(),
    tags: z.union([z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])), z.array(z.string())]).optional(),
    link: z.url().optional(),
    cycle: z.string().min(1).max(200).optional(),
    startedAt: z.union([z.number(), z.string()]).optional(),
    endedAt: z.union([z.number(), z.string()]).optional(),
  })
  .strict();

const GenericBodySchema = z.union([GenericAlertSchema, z.array(GenericAlertSchema).min(1).max(100)]);

export function normalizeGeneric(body: unknown, receivedAt: number): Alert[] {
  const parsed = parseWith(GenericBodySchema, body);
  return (Array.isArray(parsed) ? parsed : [parsed]).map((g) => {
    const tags = parseTags(g.tags);
    const place = placeFromTags(tags);
    const environment = g.environment ?? place.environment;
    const target = g.target ?? place.target;
    const fingerprint = `generic:${g.id}:${environment ?? ''}:${target ?? ''}`;
    return {
      source: 'generic',
      id: g.id,
      fingerprint,
      cycle: g.cycle,
      status: g.status,
      title: g.title,
      severity: g.severity,
      environment,
      target,
      service: g.service ?? place.service,
      tags,
      link: g.link,
      startedAt: toMs(g.startedAt),
      endedAt: g.status === 'resolved' ? toMs(g.endedAt) : undefined,
      receivedAt,
      deliveryKey: `${fingerprint}|${g.cycle ?? `t${g.startedAt ?? ''}`}|${g.status}`,
      raw: clipRaw(g),
    } satisfies Alert;
  });
}

// --- CloudWatch alarm (inside an SNS Notification) -------------------------------------------------------------

const CloudWatchAlarmSchema = z.looseObject({
  AlarmName: z.string().min(1),
  AlarmDescription: z.string().nullable().optional(),
  AWSAccountId: scalar.optional(),
  NewStateValue: z.enum(['ALARM', 'OK', 'INSUFFICIENT_DATA']),
  NewStateReason: z.string().optional(),
  StateChangeTime: z.string().optional(),
  Region: z.string().optional(),
  AlarmArn: z.string().optional(),
  OldStateValue: z.string().optional(),
  Trigger: z
    .looseObject({
      MetricName: z.string().optional(),
      Namespace: z.string().optional(),
      Dimensions: z.array(z.looseObject({ name: z.string(), value: scalar })).optional(),
    })
    .optional(),
});

/** A CloudWatch alarm state change; `INSUFFICIENT_DATA` is not an alert (returns []). */
export function normalizeCloudWatchAlarm(message: string, receivedAt: number): Alert[] {
  let body: unknown;
  try {
    body = JSON.parse(message);
  } catch {
    throw new PayloadError('the SNS Message is not JSON; Medic accepts CloudWatch alarm notifications on /alerts/sns');
  }
  const r = CloudWatchAlarmSchema.safeParse(body);
  if (!r.success) throw new PayloadError(`the SNS Message is not a CloudWatch alarm: ${zodReason(r.error)}`);
  const a = r.data;
  if (a.NewStateValue === 'INSUFFICIENT_DATA') return [];
  // Alarms carry no tags; `env:acme-prod` style words in the description stand in for them.
  const descTags: Record<string, string> = {};
  for (const m of (a.AlarmDescription ?? '').matchAll(/\b(env|environment|service|host|severity):([A-Za-z0-9._-]+)/g)) descTags[m[1]!.toLowerCase()] = m[2]!;
  const dims: Record<string, string> = {};
  for (const d of a.Trigger?.Dimensions ?? []) dims[d.name.toLowerCase()] = d.value;
  const tags = { ...parseTags(dims), ...descTags };
  const place = placeFromTags({ ...tags, ...(dims.instanceid ? { instance_id: dims.instanceid } : {}) });
  const region = a.AlarmArn?.split(':')[3];
  const id = a.AlarmArn ?? `${a.AWSAccountId ?? ''}:${a.AlarmName}`;
  const fingerprint = `sns:${id}`;
  const status: AlertStatus = a.NewStateValue === 'OK' ? 'resolved' : 'firing';
  return [
    {
      source: 'sns',
      id,
      fingerprint,
      status,
      title: a.AlarmName.slice(0, 300),
      severity: severityFrom(descTags.severity, 'critical'),
      environment: place.environment,
      target: place.target,
      service: place.service,
      tags,
      link: region ? `https://console.aws.amazon.com/cloudwatch/home?region=${region}#alarmsV2:alarm/${encodeURIComponent(a.AlarmName)}` : undefined,
      // StateChangeTime is when the alarm entered its new state: the start of ALARM, the end of it for OK.
      ...(status === 'resolved' ? { endedAt: toMs(a.StateChangeTime) } : { startedAt: toMs(a.StateChangeTime) }),
      receivedAt,
      deliveryKey: `${fingerprint}|t${a.StateChangeTime ?? ''}|${status}`,
      raw: clipRaw(body),
    },
  ];
}
