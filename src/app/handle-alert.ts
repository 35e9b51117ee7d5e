import type { CardMessage } from '../../cards/card-kit.js';
import { incidentCard, incidentFollowUpCard, incidentNoteCard, incidentResolvedCard, routeModeCard, type IncidentAction } from '../../cards/incident-card.js';
import { errorMessage, isUserError } from '../core/errors.js';
import type { Alert, DeadLetterEntry, IncidentRecord, IncidentStore } from '../core/alert.js';
import type { ReplyTo } from '../core/identity.js';
import type { RunbookJobData } from '../core/jobs.js';
import type { ChatPort } from '../core/ports.js';
import { findRoute, type AlertSettings, type Route } from '../core/routes.js';
import type { AppDeps } from './app-deps.js';
import { planRefusal, planRoute, routeRefusal } from './alerts/route-plans.js';
import { say } from './say.js';
import { submitJob, type SubmitRequest } from './submit-job.js';

/**
 * Alerts become incidents: one thread per environment and grouping window in the incident space, its first card
 * posted here (its message id is the thread every diagnosis, follow-up and resolution goes into), the route's
 * runbooks submitted through `submitJob` like any chat command, acting as the route's service identity.
 */

export interface AlertDeps extends AppDeps {
  incidents: IncidentStore;
  /**
   * Posts the first card of an incident synchronously: its id must be known before the thread's jobs are
   * submitted (their `replyTo.parentId`). Failures are retried by the alerts queue.
   */
  chat: ChatPort;
  routes: readonly Route[];
  settings: AlertSettings;
  scheduleFollowUp(incidentId: string, delayMs: number, now: number): Promise<void>;
  /** Keeps an alert a route refused for its values (`medic alerts dead-letters`). */
  deadLetter(entry: DeadLetterEntry): Promise<void>;
}

/** How long the delivery that opens an incident holds it (see IncidentStore.claimOpening). */
const OPENING_LEASE_MS = 30_000;

/** The route an alert without a matching route takes: say it, run nothing. */
const NOTIFY: Route = { name: 'notify', match: {}, runbooks: [], mode: 'notify', breakerFailures: 3 };

export class ThreadNotReadyError extends Error {
  override readonly name = 'ThreadNotReadyError';
}

function spaceFor(alert: Alert, route: Route | undefined, deps: AlertDeps): string | undefined {
  const env = alert.environment ? deps.config.inventory[alert.environment] : undefined;
  return route?.incidentSpace ?? env?.incidentSpace ?? deps.settings.defaultSpace;
}

export async function handleAlert(alert: Alert, deps: AlertDeps): Promise<void> {
  const route = findRoute(deps.routes, alert);
  const log = deps.log.child({ alert: alert.fingerprint, status: alert.status, route: route?.name });
  const space = spaceFor(alert, route, deps);
  if (!space) {
    log.warn({ env: alert.environment }, 'alert dropped: no incident space (set incidentSpace on the route or environment, or alerts.defaultSpace)');
    return;
  }
  const now = deps.clock.now();
  const out = await deps.incidents.record(alert, { space, route: route?.name, windowMs: deps.settings.groupWindowSeconds * 1000, now });
  log.debug({ outcome: out.kind }, 'alert recorded');
  switch (out.kind) {
    case 'opened':
      await openIncident(out.incident, out.episode, alert, route ?? NOTIFY, deps);
      return;
    case 'duplicate':
      // A retry whose first attempt failed before the card and jobs were out finishes the opening; a concurrent
      // duplicate finds the lease taken by the delivery still opening it and leaves it alone.
      if (out.stage === 'new' && out.incident.opener === out.episode && (await deps.incidents.claimOpening(out.episode, OPENING_LEASE_MS))) {
        // Read again under the lease: the failed attempt may have posted the card before it failed.
        await openIncident((await deps.incidents.get(out.incident.id)) ?? out.incident, out.episode, alert, route ?? NOTIFY, deps);
      }
      return;
    case 'joined':
      await deps.scheduleFollowUp(out.incident.id, deps.settings.followUpSeconds * 1000, now);
      return;
    case 'resolved': {
      const thread = threadOf(out.incident);
      const withdrawn = out.incident.firing <= 0 ? await withdrawApprovals(thread, `incident resolved: ${alert.title}`, deps) : 0;
      // The start is the episode's: a resolution's own time is its end (Datadog $DATE, CloudWatch StateChangeTime),
      // unless the source repeats the start in it (Alertmanager startsAt); else the trigger's, else first sighting.
      const started = alert.startedAt ?? out.startedAt ?? out.firstSeen;
      const ended = alert.endedAt ?? now;
      await say(deps, thread, incidentResolvedCard({ title: alert.title, target: alert.target, durationMs: started === undefined ? undefined : ended - started, firing: Math.max(0, out.incident.firing), withdrawn }), {
        dedupeKey: `rs-${out.episode}-${started ?? 'unknown'}`,
      });
      return;
    }
    case 'unmatched': {
      // No thread to answer in: told in the space, once, with the start only where the resolution itself has it.
      const ended = alert.endedAt ?? now;
      const card = incidentResolvedCard({ title: alert.title, target: alert.target, durationMs: alert.startedAt === undefined ? undefined : ended - alert.startedAt, unseen: true });
      await say(deps, { roomId: space }, card, { dedupeKey: `ru-${out.episode}` });
      return;
    }
    case 'ignored':
      log.info({ reason: out.reason }, 'resolved alert ignored');
  }
}

/** Closes the approvals still pending in the incident's thread: nothing is left to fix once every alert resolved. */
async function withdrawApprovals(thread: ReplyTo, reason: string, deps: AlertDeps): Promise<number> {
  let n = 0;
  for (const rec of await deps.approvals.listPending()) {
    if (rec.data.replyTo?.roomId !== thread.roomId || rec.data.replyTo.parentId !== thread.parentId) continue;
    const now = deps.clock.now();
    if (!(await deps.approvals.close(rec.id, 'cancelled', 'service:medic', now))) continue;
    n++;
    await deps.audit.append({ at: now, type: 'approval-closed', actor: 'service:medic', env: rec.env, approvalId: rec.id, jobId: rec.jobId, detail: `withdrawn: ${reason}`.slice(0, 300) });
    // No card per approval here (the thread's summary says it): a press on the card is answered without waiting.
    await deps.approvals.announce(rec.id);
  }
  return n;
}

function threadOf(incident: IncidentRecord): ReplyTo {
  // The first card is posted before anything else of the incident; a follow-up or resolution that overtakes it
  // (another replica, same instant) waits through the queue's retry.
  if (!incident.thread) throw new ThreadNotReadyError(`incident ${incident.id}: first card not posted yet`);
  return { roomId: incident.space, parentId: incident.thread };
}

/** Holders of the opening lease: released on failure so the queue's retry can take it at once. */
async function openIncident(incident: IncidentRecord, episode: string, alert: Alert, route: Route, deps: AlertDeps): Promise<void> {
  try {
    await openIncidentHoldingLease(incident, episode, alert, route, deps);
  } catch (e) {
    await deps.incidents.releaseOpening(episode).catch(() => undefined);
    throw e;
  }
}

async function openIncidentHoldingLease(incident: IncidentRecord, episode: string, alert: Alert, route: Route, deps: AlertDeps): Promise<void> {
  const decided = await decide(route, alert, deps);
  let thread = incident.thread;
  if (!thread) {
    const actions = decided.plans.map((p) => p.action);
    const card = incidentCard({ alert, route: route === NOTIFY ? undefined : route.name, mode: decided.modeLabel, actions });
    const sent = await deps.chat.send({ roomId: incident.space, text: card.text, card: card.card, causedAt: alert.receivedAt });
    thread = sent.id;
    await deps.incidents.setThread(incident.id, thread);
  }
  const replyTo = { roomId: incident.space, parentId: thread };
  if (decided.note) await say(deps, replyTo, decided.note, { dedupeKey: `rn-${incident.id}-${route.name}-${decided.noteKind}` });
  await submitPlans(decided, alert, incident, route, replyTo, deps);
  await deps.incidents.markAnnounced(episode);
}

/** Announces the alerts that joined since the last follow-up (one message per batch) and runs their routes. */
export async function handleFollowUp(incidentId: string, deps: AlertDeps): Promise<void> {
  const incident = await deps.incidents.get(incidentId);
  if (!incident) return;
  const replyTo = threadOf(incident);
  for (;;) {
    const pending = await deps.incidents.peekPending(incidentId, 50);
    if (pending.length === 0) return;
    const joined: Array<{ alert: Alert; actions: IncidentAction[] }> = [];
    const work: Array<() => Promise<void>> = [];
    for (const p of pending) {
      const route = deps.routes.find((r) => r.name === p.route) ?? NOTIFY;
      const decided = await decide(route, p.alert, deps);
      joined.push({ alert: p.alert, actions: decided.plans.map((x) => x.action) });
      work.push(async () => {
        if (decided.note) await say(deps, replyTo, decided.note, { dedupeKey: `rn-${incidentId}-${route.name}-${decided.noteKind}` });
        await submitPlans(decided, p.alert, incident, route, replyTo, deps);
        await deps.incidents.markAnnounced(p.episode);
      });
    }
    const fresh = (await deps.incidents.get(incidentId)) ?? incident;
    // The dedupe key makes a retried follow-up post its summary once.
    await say(deps, replyTo, incidentFollowUpCard({ joined, episodes: fresh.episodes, firing: fresh.firing }), { dedupeKey: `fu-${incidentId}-${pending[0]!.episode}` });
    for (const w of work) await w();
    await deps.incidents.ackPending(incidentId, pending.length);
  }
}

interface Decided {
  mode: 'run' | 'approval' | 'notify';
  modeLabel: string;
  plans: Array<{ action: IncidentAction; submit?: Omit<SubmitRequest, 'replyTo' | 'sourceId'> & { text: string } }>;
  /** A note for the thread when the mode changed for this alert (budget spent). */
  note?: CardMessage;
  noteKind?: string;
  /** What the route refused to run for this alert: audited, and dead-lettered when an alert value was the cause. */
  refusals: Array<{ env?: string; detail: string; deadLetter: boolean }>;
}

/** The route's mode for this alert: auto-remediation falls back to approval when the breaker is open or the budget spent. */
async function decide(route: Route, alert: Alert, deps: AlertDeps): Promise<Decided> {
  if (route.mode === 'notify') return { mode: 'notify', modeLabel: 'notify', plans: [], refusals: [] };
  // A route that may not act on this alert runs nothing, and does not spend its budget on it.
  const refused = routeRefusal(route, alert);
  if (refused) {
    return {
      mode: 'notify',
      modeLabel: `${route.mode}, refused`,
      plans: route.runbooks.map((t) => ({ action: { text: t, state: 'skipped' as const, note: refused } })),
      refusals: [{ env: alert.environment, detail: refused, deadLetter: false }],
    };
  }
  let mode: 'run' | 'approval' = route.mode === 'remediate-with-approval' ? 'approval' : 'run';
  let note: Decided['note'];
  let noteKind: string | undefined;
  let why: string | undefined;
  if (route.mode === 'auto-remediate') {
    if (await deps.incidents.breakerOpen(route.name)) {
      mode = 'approval';
      why = 'circuit breaker open';
    } else if (route.budget && !(await deps.incidents.spendBudget(route.name, alert.target ?? alert.environment ?? '-', route.budget.max, route.budget.windowMinutes * 60_000))) {
      mode = 'approval';
      why = 'budget spent';
      noteKind = 'budget';
      note = routeModeCard({
        route: route.name,
        reason: 'budget',
        detail: `${route.budget.max} automatic remediation${route.budget.max === 1 ? '' : 's'} of ${alert.target ?? alert.environment ?? 'this target'} per ${route.budget.windowMinutes} min already ran; a person approves the next ones.`,
      });
    }
  }
  const refusals: Decided['refusals'] = [];
  const plans = planRoute(route, alert, deps.commands, deps.config.inventory, alert.receivedAt).map((p) => {
    if ('problem' in p) {
      if (p.refused) refusals.push({ env: alert.environment, detail: `\`${p.template}\`: ${p.problem}`, deadLetter: true });
      return { action: { text: p.text, state: 'skipped' as const, note: p.problem } };
    }
    const refused = planRefusal(route, p.plan);
    if (refused) {
      refusals.push({ env: p.plan.env, detail: `\`${p.text}\`: ${refused}`, deadLetter: false });
      return { action: { text: p.text, state: 'skipped' as const, note: refused } };
    }
    const actor = { type: 'service' as const, name: `route:${route.name}` };
    return {
      action: { text: p.text, state: mode === 'run' ? ('running' as const) : ('approval' as const), note: why },
      submit: { text: p.text, plan: p.plan, actor, origin: `${alert.title} → ${p.text}`, quiet: true, mode },
    };
  });
  return { mode, modeLabel: why ? `${route.mode}, now asking approval (${why})` : route.mode, plans, note, noteKind, refusals };
}

async function submitPlans(decided: Decided, alert: Alert, incident: IncidentRecord, route: Route, replyTo: ReplyTo, deps: AlertDeps): Promise<void> {
  for (const r of decided.refusals) {
    const detail = `${alert.source} alert ${JSON.stringify(alert.title.slice(0, 120))}: ${r.detail}`.slice(0, 300);
    await deps.audit.append({ at: deps.clock.now(), type: 'refused', actor: `service:route:${route.name}`, env: r.env?.slice(0, 100), roomId: replyTo.roomId, detail });
    if (r.deadLetter) await deps.deadLetter({ route: alert.source, reason: `route ${route.name}: ${r.detail}`, receivedAt: alert.receivedAt, body: alert.raw });
    deps.log.warn({ route: route.name, alert: alert.fingerprint, env: r.env, reason: r.detail }, 'route refused to act on an alert');
  }
  for (const p of decided.plans) {
    if (!p.submit) continue;
    const { text, ...req } = p.submit;
    try {
      // One job per incident, route and command text: alerts that join with the same need share it.
      await submitJob({ ...req, sourceId: `alert:${incident.id}:${route.name}:${text}`, replyTo }, deps);
    } catch (e) {
      if (!isUserError(e)) throw e;
      await say(deps, replyTo, incidentNoteCard(`Could not run \`${text}\``, e.message));
    }
  }
}

/**
 * A route job finished: consecutive failures of an auto-remediating route open its breaker (approval mode from
 * then on, said in the thread); a success closes it again.
 */
export async function handleRouteJobOutcome(o: { jobId: string; data: RunbookJobData; ok: boolean; error?: string }, deps: AlertDeps): Promise<void> {
  const actor = o.data.actor;
  if (actor.type !== 'service' || !actor.name.startsWith('route:')) return;
  const route = deps.routes.find((r) => `route:${r.name}` === actor.name);
  if (!route || route.mode !== 'auto-remediate') return;
  const { counted, consecutiveFailures } = await deps.incidents.routeOutcome(route.name, o.jobId, o.ok);
  if (!counted) return;
  if (!o.ok && consecutiveFailures >= route.breakerFailures && (await deps.incidents.setBreaker(route.name, true))) {
    deps.log.warn({ route: route.name, consecutiveFailures }, 'route circuit breaker opened');
    if (o.data.replyTo) {
      await say(deps, o.data.replyTo, routeModeCard({ route: route.name, reason: 'breaker', detail: `Its automatic remediation failed ${consecutiveFailures} times in a row (last: job ${o.jobId}${o.error ? `, ${errorMessage(o.error).slice(0, 200)}` : ''}). Until one succeeds, a person approves each run.` }), { dedupeKey: `br-${route.name}-${o.jobId}` });
    }
  } else if (o.ok && (await deps.incidents.setBreaker(route.name, false))) {
    if (o.data.replyTo) await say(deps, o.data.replyTo, routeModeCard({ route: route.name, reason: 'recovered', detail: `Job ${o.jobId} succeeded.` }), { dedupeKey: `bc-${route.name}-${o.jobId}` });
  }
}
