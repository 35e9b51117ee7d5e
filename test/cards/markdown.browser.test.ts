import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvalCard } from '../../cards/approval-card.js';
import type { CardMessage } from '../../cards/card-kit.js';
import { dbHealthCard } from '../../cards/db-health-card.js';
import { userErrorCard } from '../../cards/error-card.js';
import { healthCard } from '../../cards/health-card.js';
import { heapAnalysisCard } from '../../cards/heap-analysis-card.js';
import { incidentCard, incidentResolvedCard } from '../../cards/incident-card.js';
import { jobCard, jobsCard } from '../../cards/job-card.js';
import { jvmHeapAnalyzeCard, jvmHeapCard } from '../../cards/jvm-heap-card.js';
import { jvmOomCard } from '../../cards/jvm-oom-card.js';
import { jvmThreadsCard } from '../../cards/jvm-threads-card.js';
import { threadAnalysisCard } from '../../cards/thread-analysis-card.js';
import { gradeInstance } from '../../src/analyzers/health/grade-health.js';
import { countGrades, healthSummary, sortRows } from '../../src/analyzers/health/health-report.js';
import { DEFAULT_HEALTH_THRESHOLDS } from '../../src/analyzers/health/thresholds.js';
import { analyzeHeapDump, type HeapReport } from '../../src/analyzers/hprof/index.js';
import { gradePgSnapshot } from '../../src/analyzers/pg/grade-pg-health.js';
import { analyzeThreadDumps } from '../../src/analyzers/threads/index.js';
import type { ApprovalRecord } from '../../src/core/approval.js';
import type { JobView } from '../../src/core/jobs.js';
import { worstStatus, type DbHealthResult } from '../../src/core/kinds/db.js';
import type { HealthResult } from '../../src/core/kinds/health.js';
import type { JvmTargetInfo } from '../../src/core/kinds/jvm.js';
import { resolvePgThresholds } from '../../src/core/pg-port.js';
import { createLocalSpace, type LocalSpace } from '../../src/local-space/local-space.js';
import { healthyReadings, success } from '../analyzers/health/fixtures.js';
import { healthySnapshot, session } from '../analyzers/pg/snapshot-fixture.js';
import { cardText } from '../support/adaptive-card.js';
import { launchBrowser } from '../support/browser.js';
import { heapSamples, threadSamples, type ThreadSamples } from '../support/samples.js';

// What a person sees: every card builder's output for realistic data, drawn by the local space page with
// Microsoft's `adaptivecards` renderer and the page's markdown, read back as the rendered text. Values that merely
// look like markdown (`TIMED_WAITING`, `pg_stat_statements`, `java.lang.Object[]`) show as they are, never with a
// backslash; values that would render as markup show as typed, not as bold text or links.

const NOW = Date.UTC(2026, 10, 26, 12, 0);
const META = { jobId: 'r-card-1', requestedBy: 'ana@example.com', env: 'acme-prod', now: NOW };
const TARGET: JvmTargetInfo = { env: 'acme-prod', tier: 'app', instanceId: 'i-0123456789abcdef0', name: 'app_server_1' };
const TOKENS = ['TIMED_WAITING', 'pg_stat_statements', 'java.lang.Object[]'];
const HOSTILE = ['**not bold**', '_not italic_', '[not a link](https://evil.example/x)'];

let space: LocalSpace;
let browser: Browser;
let page: Page;
let heap: HeapReport;
/** Two jstack dumps of test/fixtures/java/samples/Deadlock.java, made from a real JVM once per run. */
let dumps: ThreadSamples;
const pageErrors: string[] = [];

function cards(hostile = false): Array<[string, CardMessage]> {
  const extra = hostile ? ` ${HOSTILE.join(' ')}` : '';
  const threads = analyzeThreadDumps([{ name: 'deadlock.jstack-l.txt', text: dumps.jstack }, { name: 'deadlock.jstack-l.later.txt', text: dumps.jstackLater }]);
  const T = resolvePgThresholds();
  const snap = healthySnapshot({
    topQueries: null,
    notices: [{ message: 'pg_stat_statements is not installed: CREATE EXTENSION pg_stat_statements', section: 'topQueries', incomplete: true }],
    longRunning: [session(4242, { durationSec: 4000, user: 'app_user', application: 'billing_worker', query: 'select count(*) from order_items where status = $1' })],
  } as Parameters<typeof healthySnapshot>[0]);
  const checks = gradePgSnapshot(snap, T);
  const db: DbHealthResult = { kind: 'db.health', env: 'acme-prod', status: worstStatus(checks.map((c) => c.status)), reports: [{ db: 'main_db', endpoint: snap.server.endpoint, status: worstStatus(checks.map((c) => c.status)), checks, snapshot: snap }], thresholds: T, summary: 'pg_stat_statements missing on main_db' };
  const sick = healthyReadings({ instanceId: 'i-0123456789abcdef0', disks: [{ filesystem: '/dev/nvme1n1', mount: '/var/lib/my_app/heap_dumps', sizeKb: 100, usedKb: 97, availableKb: 3, usedPercent: 97 }] });
  const rows = sortRows([gradeInstance({ tier: 'app_tier', name: 'app_server_1', result: success(sick), thresholds: DEFAULT_HEALTH_THRESHOLDS, expect: {}, now: 1_800_000_000 })]);
  const health: HealthResult = { kind: 'health.check', env: 'acme-prod', tiers: ['app_tier'], instances: rows, counts: countGrades(rows), commandIds: ['c-1'], startedAt: NOW, finishedAt: NOW + 1200, summary: healthSummary(rows) };
  const view: JobView = {
    id: 'r-job_1', kind: 'jvm.threads', state: 'failed', origin: 'jvm threads acme-prod app_server_1', actor: { type: 'person', email: 'ana@example.com', displayName: 'Ana Ops' },
    roomId: 'room', createdAt: NOW - 5000, startedAt: NOW - 4000, finishedAt: NOW - 1000, attempts: 1,
    error: 'worker pool_1 stuck in TIMED_WAITING on java.lang.Object[] while reading pg_stat_statements',
  };
  const approval: ApprovalRecord = {
    id: 'ap-1', jobId: 'r-job_2', data: { request: { kind: 'system.ping', receivedAt: NOW }, actor: { type: 'person', email: 'ana@example.com' }, risk: 'destructive', origin: 'db kill acme-prod/main_db 4242', env: 'acme-prod' },
    hash: 'h'.repeat(32), requester: 'ana@example.com', risk: 'destructive', env: 'acme-prod', commandText: `db kill acme-prod/main_db 4242 because stuck${extra}`,
    approverRole: 'approver', needed: 1, approvals: [], status: 'pending', createdAt: NOW, expiresAt: NOW + 60_000, reason: 'stuck in TIMED_WAITING', why: 'Kills pid 4242 (pg_stat_statements reader).',
  };
  const dump = { dump: { type: 's3' as const, bucket: 'medic-dumps', key: 'medic-dumps/acme-prod/i-0123456789abcdef0/heap_1.hprof.gz' }, dumpBytes: 4_400_000, pauseMs: 350, usedHeapBytes: 40_000_000, freeBytes: 9e9, source: 'live' as const, pid: 4242 };
  return [
    ['thread analysis', threadAnalysisCard(threads, { env: 'acme-prod', target: 'app_server_1' })],
    ['jvm threads', jvmThreadsCard({ kind: 'jvm.threads', target: TARGET, count: 2, intervalSeconds: 10, jvm: { pid: 4242, user: 'tomcat_user', tool: 'jstack' }, report: threads, durationMs: 10_500, commandId: 'c-1', summary: 's' }, META)],
    ['heap analysis', heapAnalysisCard(heap, { env: 'acme-prod', target: 'app_server_1' })],
    ['jvm heap', jvmHeapCard({ kind: 'jvm.heap', target: TARGET, facts: dump, analysis: { status: 'done', report: heap }, commandId: 'c-2', summary: 's' }, META)],
    ['jvm heap analyze', jvmHeapAnalyzeCard({ kind: 'jvm.heap.analyze', target: TARGET, dump: dump.dump, dumpBytes: dump.dumpBytes, parentJobId: 'r-job_0', report: heap, summary: 's' }, META)],
    ['jvm oom', jvmOomCard({ kind: 'jvm.oom', target: TARGET, steps: [{ name: 'dump', status: 'ok', detail: 'dumped java.lang.Object[] heavy heap', durationMs: 900 }, { name: 'restart', status: 'failed', detail: 'main thread TIMED_WAITING after 60 s', durationMs: 60_000 }], failedStep: 'restart', summary: 's' }, META)],
    ['db health', dbHealthCard(db, META)],
    ['health', healthCard(health, META)],
    ['job', jobCard(view, NOW)],
    ['jobs', jobsCard([view], NOW)],
    ['approval', approvalCard(approval)],
    ['incident', incidentCard({ alert: { source: 'generic', id: 'a-1', title: `GC thread TIMED_WAITING on java.lang.Object[]${extra}`, severity: 'critical', status: 'firing', env: 'acme-prod', target: 'app_server_1', receivedAt: NOW } as never, mode: 'notify', actions: [] })],
    ['incident resolved', incidentResolvedCard({ title: 'pg_stat_statements reader TIMED_WAITING', durationMs: 300_000, firing: 0, withdrawn: 0 })],
    ['user error', userErrorCard('I do not know `pign`.', 'Did you mean `ping`?')],
  ];
}

beforeAll(async () => {
  dumps = (await threadSamples()).text;
  heap = await analyzeHeapDump((await heapSamples()).hprof);
  space = await createLocalSpace();
  browser = await launchBrowser();
  page = await browser.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(space.url);
  await page.waitForSelector('body[data-ready="true"]');
});

afterAll(async () => {
  await browser?.close();
  await space?.close();
});

/** Each card drawn by the page's own renderCard (Microsoft's renderer + the page's markdown), as text and HTML. */
async function render(messages: Array<[string, CardMessage]>): Promise<Array<{ name: string; text: string; html: string }>> {
  const drawn = await page.evaluate((list) => {
    type Drawn = { innerText: string; innerHTML: string };
    const w = globalThis as unknown as { renderCard: (m: { id: string }, c: unknown) => Drawn; document: { body: { appendChild(e: Drawn): void } } };
    return list.map(([name, card]) => {
      const el = w.renderCard({ id: `m-${name}` }, card);
      w.document.body.appendChild(el);
      return { name, text: el.innerText, html: el.innerHTML };
    });
  }, messages.map(([name, m]) => [name, m.card] as [string, unknown]));
  return drawn;
}

describe('what a card shows', () => {
  it('shows code-ish values as they are, with no backslash, in every card', async () => {
    const drawn = await render(cards());
    expect(pageErrors).toEqual([]);
    const all = drawn.map((d) => d.text).join('\n');
    for (const [name, m] of cards()) {
      // No escape in the card itself: a client that shows backslash escapes literally must show nothing odd either.
      expect(cardText(m.card).includes('\\'), `${name} carries a backslash:\n${cardText(m.card)}`).toBe(false);
    }
    for (const d of drawn) {
      expect(d.text.length, d.name).toBeGreaterThan(20);
      expect(d.html, d.name).not.toContain('card-error');
      expect(d.text.includes('\\'), `${d.name} shows a backslash:\n${d.text}`).toBe(false);
    }
    for (const token of TOKENS) expect(all).toContain(token);
    expect(drawn.find((d) => d.name === 'thread analysis')!.text).toContain('TIMED_WAITING');
    expect(drawn.find((d) => d.name === 'db health')!.text).toContain('pg_stat_statements');
    expect(drawn.find((d) => d.name === 'heap analysis')!.text).toMatch(/java\.util\.HashMap\$Node\[\]/);
    expect(drawn.find((d) => d.name === 'job')!.text).toContain('worker pool_1 stuck in TIMED_WAITING on java.lang.Object[] while reading pg_stat_statements');
    expect(drawn.find((d) => d.name === 'db health')!.text).toContain('billing_worker');
  });

  it('shows text that looks like markup as typed, never as bold, italics or a link', async () => {
    const drawn = await render(cards(true).filter(([name]) => name === 'approval' || name === 'incident'));
    for (const d of drawn) {
      for (const h of HOSTILE) expect(d.text, d.name).toContain(h);
      expect(d.html, d.name).not.toContain('evil.example/x"');
      expect(d.text.includes('\\'), d.name).toBe(false);
    }
  });
});
