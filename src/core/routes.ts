import { z } from 'zod';
import { ALERT_SEVERITIES, ALERT_SOURCES, type Alert } from './alert.js';

/**
 * Alert routes (`routes:` in the config file): which alerts run which runbooks, in which mode, posted where.
 * The first route whose `match` fits an alert wins; an alert no route matches is only told (notify).
 */

export const ROUTE_MODES = ['notify', 'diagnose', 'remediate-with-approval', 'auto-remediate'] as const;
export type RouteMode = (typeof ROUTE_MODES)[number];

/** Placeholders a runbook template may use; filled from the alert. */
export const ROUTE_PLACEHOLDERS = ['env', 'target', 'service'] as const;
export type RoutePlaceholder = (typeof ROUTE_PLACEHOLDERS)[number];

/** Sources that authenticate with a bearer token (SNS messages are verified by signature instead). */
export const TOKEN_SOURCES = ['datadog', 'alertmanager', 'generic'] as const;
export type TokenSource = (typeof TOKEN_SOURCES)[number];

const NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

function validRegExp(s: string): boolean {
  try {
    new RegExp(s, 'i');
    return true;
  } catch {
    return false;
  }
}

export const RouteMatchSchema = z
  .object({
    source: z.union([z.enum(ALERT_SOURCES), z.array(z.enum(ALERT_SOURCES)).min(1)]).optional(),
    /** Tag → value; `*` globs allowed in values (`env: acme-*`); `*` alone = the tag is present. */
    tags: z.record(z.string().min(1), z.string()).optional(),
    /** Regular expression on the title, case-insensitive. */
    title: z.string().min(1).max(500).refine(validRegExp, 'not a valid regular expression').optional(),
    severity: z.union([z.enum(ALERT_SEVERITIES), z.array(z.enum(ALERT_SEVERITIES)).min(1)]).optional(),
  })
  .strict();

export const RouteSchema = z
  .object({
    name: z.string().regex(NAME, 'route names are lower-case letters, digits and -'),
    match: RouteMatchSchema.default({}),
    /**
     * Chat command templates, e.g. `health {env}`, `jvm threads {env} {target}`. Split into words here, once: each
     * placeholder is filled into its argument position and checked against that argument's schema, never pasted
     * into a string that is parsed again.
     */
    runbooks: z
      .array(
        z
          .string()
          .min(1)
          .max(300)
          .superRefine((t, ctx) => {
            const problem = templateProblem(t);
            if (problem) ctx.addIssue({ code: 'custom', message: problem });
          }),
      )
      .default([]),
    mode: z.enum(ROUTE_MODES).default('diagnose'),
    /**
     * The environments this route may act on. An alert naming another one, or a runbook landing in another one, is
     * refused and audited. Required when a runbook is a change or destructive command (checked at startup).
     */
    environments: z.array(z.string().regex(NAME, 'environment names are lower-case letters, digits and -')).min(1).optional(),
    /**
     * Sources whose alerts may trigger this route's runbooks. An alert of another source that matches the route is
     * refused and audited (it does not fall through to the next route): one leaked token cannot run another
     * sender's remediations.
     */
    sources: z.array(z.enum(ALERT_SOURCES)).min(1).optional(),
    /** Webex room id; defaults to the environment's `incidentSpace`, then `alerts.defaultSpace`. */
    incidentSpace: z.string().min(1).optional(),
    /** Automatic remediations per (route, target) and window; once spent, the route asks for approval. */
    budget: z.object({ max: z.number().int().min(1).max(1000), windowMinutes: z.number().int().min(1).max(7 * 24 * 60).default(60) }).strict().optional(),
    /** Consecutive failed automatic jobs that switch the route to approval mode. */
    breakerFailures: z.number().int().min(1).max(100).default(3),
  })
  .strict();

export const RoutesSchema = z.array(RouteSchema).superRefine((routes, ctx) => {
  const seen = new Set<string>();
  routes.forEach((r, i) => {
    if (seen.has(r.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `route \`${r.name}\` is defined twice` });
    seen.add(r.name);
  });
});

const AlertSourceSchema = z
  .object({
    tokenEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'the name of an environment variable, such as DATADOG_ALERT_TOKEN (the token itself never goes in this file)'),
  })
  .strict();

export const AlertSettingsSchema = z
  .object({
    /** Alerts of one environment within this many seconds of an incident's start join its thread. */
    groupWindowSeconds: z.number().int().min(0).max(24 * 3600).default(60),
    /** Joined alerts are summarised in one follow-up per this many seconds. */
    followUpSeconds: z.number().min(0).max(600).default(5),
    /** Room for alerts whose route and environment name no incident space. */
    defaultSpace: z.string().min(1).optional(),
    /** Malformed payloads kept for inspection (Redis list, newest first). */
    deadLetterMax: z.number().int().min(0).max(100_000).default(1000),
    /**
     * A bearer token per sender, read from the environment variable each names (`tokenEnv`), so a token leaked from
     * one monitoring tool opens only its own endpoint. Sources not listed use MEDIC_ALERT_TOKEN.
     */
    sources: z
      .object({ datadog: AlertSourceSchema.optional(), alertmanager: AlertSourceSchema.optional(), generic: AlertSourceSchema.optional() } satisfies Record<TokenSource, unknown>)
      // Unknown keys (`sns`: verified by signature, typos) are refused by name.
      .strict()
      .default({}),
    sns: z
      .object({
        /** Regions whose SNS hosts may serve signing certificates and subscription confirmations. */
        regions: z.array(z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'an AWS region such as eu-west-1')).min(1),
        /** Accept only these topics (ARNs); empty = any topic of the regions. */
        topicArns: z.array(z.string().startsWith('arn:')).default([]),
        maxAgeSeconds: z.number().int().min(60).max(7 * 24 * 3600).default(3600),
      })
      .strict()
      .optional(),
  })
  .strict();

export type Route = z.infer<typeof RouteSchema>;
export type RouteMatch = z.infer<typeof RouteMatchSchema>;
export type AlertSettings = z.infer<typeof AlertSettingsSchema>;

export const DEFAULT_ALERT_SETTINGS: AlertSettings = AlertSettingsSchema.parse({});

function glob(pattern: string, value: string): boolean {
  return new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 'i').test(value);
}

function oneOf<T>(want: T | T[] | undefined, have: T): boolean {
  return want === undefined || (Array.isArray(want) ? want.includes(have) : want === have);
}

export function routeMatches(route: Route, alert: Alert): boolean {
  const m = route.match;
  if (!oneOf(m.source, alert.source) || !oneOf(m.severity, alert.severity)) return false;
  if (m.title && !new RegExp(m.title, 'i').test(alert.title)) return false;
  const place: Record<string, string | undefined> = { env: alert.environment, environment: alert.environment, host: alert.target, target: alert.target, service: alert.service };
  for (const [k, pattern] of Object.entries(m.tags ?? {})) {
    const v = alert.tags[k.toLowerCase()] ?? place[k.toLowerCase()];
    if (v === undefined || !glob(pattern, v)) return false;
  }
  return true;
}

export function findRoute(routes: readonly Route[], alert: Alert): Route | undefined {
  return routes.find((r) => routeMatches(r, alert));
}

// --- runbook templates -------------------------------------------------------------------------------------

/** One word of a template: literal text and placeholders, e.g. `health`, `{env}`, `{env}/main`. */
export type TemplatePart = { text: string } | { placeholder: RoutePlaceholder };
export type TemplateWord = TemplatePart[];

const PLACEHOLDER = /\{([^{}]*)\}/g;

/** Why a template cannot be used (unknown or broken placeholder), or undefined. */
export function templateProblem(template: string): string | undefined {
  for (const m of template.matchAll(PLACEHOLDER)) {
    if (!(ROUTE_PLACEHOLDERS as readonly string[]).includes(m[1] ?? '')) return `placeholders are ${ROUTE_PLACEHOLDERS.map((p) => `{${p}}`).join(', ')}; \`{${m[1]}}\` is not one`;
  }
  if (/[{}]/.test(template.replace(PLACEHOLDER, ''))) return 'a `{` or `}` that is not part of a placeholder such as {env}';
  return undefined;
}

/** Splits a (valid) template into words, each a list of literal and placeholder parts. */
export function splitTemplate(template: string): TemplateWord[] {
  return template
    .trim()
    .split(/\s+/)
    .filter(Boolean)
    .map((word) => {
      const parts: TemplatePart[] = [];
      let at = 0;
      for (const m of word.matchAll(PLACEHOLDER)) {
        if (m.index > at) parts.push({ text: word.slice(at, m.index) });
        parts.push({ placeholder: m[1] as RoutePlaceholder });
        at = m.index + m[0].length;
      }
      if (at < word.length) parts.push({ text: word.slice(at) });
      return parts;
    });
}

/** What the placeholders stand for in an alert. */
export function placeholderValues(alert: Pick<Alert, 'environment' | 'target' | 'service'>): Record<RoutePlaceholder, string | undefined> {
  return { env: alert.environment, target: alert.target, service: alert.service };
}

/** The template word as text, placeholders shown as `{name}`. */
export function wordText(word: TemplateWord): string {
  return word.map((p) => ('text' in p ? p.text : `{${p.placeholder}}`)).join('');
}
