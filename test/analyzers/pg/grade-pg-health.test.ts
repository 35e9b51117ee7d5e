import { describe, expect, it } from 'vitest';
import { gradePgSnapshot, gradeRdsMetrics } from '../../../src/analyzers/pg/grade-pg-health.js';
import { resolvePgThresholds, type RdsMetrics } from '../../../src/core/pg-port.js';
import { healthySnapshot, session } from './snapshot-fixture.js';

const T = resolvePgThresholds();
const grade = (over: Parameters<typeof healthySnapshot>[0], t = T) => gradePgSnapshot(healthySnapshot(over), t);
const status = (checks: ReturnType<typeof grade>, id: string) => checks.find((c) => c.id === id)?.status;

describe('gradePgSnapshot', () => {
  it('grades a healthy database ok on every check except the ones it cannot see', () => {
    const checks = grade({});
    expect(checks.filter((c) => c.status !== 'ok')).toEqual([]);
    expect(checks.map((c) => c.id)).toEqual(expect.arrayContaining(['long-running', 'idle-in-transaction', 'blocking', 'connections', 'cache-hit', 'dead-tuples', 'table-bloat', 'index-bloat', 'wraparound', 'unused-indexes', 'duplicate-indexes', 'invalid-indexes', 'sequences', 'slow-queries', 'replication', 'replication-slots']));
  });

  it.each([
    ['long-running', { longRunning: [session(7, { durationSec: 61 })] }, 'warn'],
    ['long-running', { longRunning: [session(7, { durationSec: 301 })] }, 'critical'],
    ['idle-in-transaction', { idleInTransaction: [session(8, { state: 'idle in transaction', durationSec: 120 })] }, 'warn'],
    ['idle-in-transaction', { idleInTransaction: [session(8, { state: 'idle in transaction', durationSec: 700 })] }, 'critical'],
    ['connections', { connections: { total: 78, max: 100, reservedSuperuser: 3, bySource: [] } }, 'warn'],
    ['connections', { connections: { total: 93, max: 100, reservedSuperuser: 3, bySource: [] } }, 'critical'],
    ['connections', { connections: { total: 500, max: 5000, reservedSuperuser: 3, bySource: [] } }, 'warn'],
    ['cache-hit', { cacheHit: { table: 0.985, index: 0.999 } }, 'warn'],
    ['cache-hit', { cacheHit: { table: 0.9, index: 0.999 } }, 'critical'],
    ['sequences', { sequences: [{ schema: 'public', sequence: 's', column: null, lastValue: 1.95e9, maxValue: 2147483647, ratio: 1.95e9 / 2147483647 }] }, 'warn'],
    ['sequences', { sequences: [{ schema: 'public', sequence: 's', column: null, lastValue: 2.12e9, maxValue: 2147483647, ratio: 2.12e9 / 2147483647 }] }, 'critical'],
    ['wraparound', { wraparound: { freezeMaxAge: 2e8, databases: [], tables: [{ name: 't', age: 7e8, left: 2146483648 - 7e8 }] } }, 'warn'],
    ['wraparound', { wraparound: { freezeMaxAge: 2e8, databases: [{ name: 'app', age: 1.8e9, left: 2146483648 - 1.8e9 }], tables: [] } }, 'critical'],
    ['replication', { server: { ...healthySnapshot().server, isReplica: true }, replication: { lagSec: 6, replicas: [], slots: [] } }, 'warn'],
    ['replication', { server: { ...healthySnapshot().server, isReplica: true }, replication: { lagSec: 120, replicas: [], slots: [] } }, 'critical'],
    ['replication-slots', { replication: { lagSec: null, replicas: [], slots: [{ name: 'old', type: 'logical', active: false, retainedBytes: 5e9 }] } }, 'warn'],
    ['invalid-indexes', { invalidIndexes: [{ schema: 'public', table: 't', index: 'i', bytes: 1, scans: 0, definition: '' }] }, 'warn'],
    ['slow-queries', { topQueries: [{ query: 'q', calls: 200, totalMs: 10000, meanMs: 50, rows: 1, share: 0.5 }] }, 'warn'],
    ['slow-queries', { topQueries: [{ query: 'q', calls: 50, totalMs: 10000, meanMs: 200, rows: 1, share: 0.5 }] }, 'ok'],
    ['slow-queries', { topQueries: null }, 'unknown'],
  ] as const)('grades %s as expected (%#)', (id, over, expected) => {
    expect(status(grade(over as Parameters<typeof healthySnapshot>[0]), id)).toBe(expected);
  });

  it('grades dead tuples by ratio only above the minimum count', () => {
    const row = healthySnapshot().vacuum[0]!;
    expect(status(grade({ vacuum: [{ ...row, liveTuples: 100, deadTuples: 400, deadRatio: 0.8 }] }), 'dead-tuples')).toBe('ok');
    expect(status(grade({ vacuum: [{ ...row, liveTuples: 7000, deadTuples: 3000, deadRatio: 0.3 }] }), 'dead-tuples')).toBe('warn');
    expect(status(grade({ vacuum: [{ ...row, liveTuples: 3000, deadTuples: 7000, deadRatio: 0.7 }] }), 'dead-tuples')).toBe('critical');
  });

  it('labels bloat as an estimate and ignores small relations', () => {
    const big = { schema: 'public', table: 't', realBytes: 100 * 1024 ** 2, bloatBytes: 60 * 1024 ** 2, bloatRatio: 0.6 };
    const checks = grade({ tableBloat: [big, { ...big, table: 'tiny', realBytes: 100_000, bloatBytes: 90_000, bloatRatio: 0.9 }] });
    const c = checks.find((x) => x.id === 'table-bloat')!;
    expect(c.status).toBe('warn');
    expect(c.title).toContain('(estimate)');
    expect(c.details).toEqual(['public.t: ~60 % of 100 MiB (~60.0 MiB) estimated']);
  });

  it('turns an ok over incomplete data into unknown, with the reason', () => {
    const checks = grade({ notices: [{ section: 'longRunning', incomplete: true, message: 'Role x lacks pg_monitor' }] });
    const c = checks.find((x) => x.id === 'long-running')!;
    expect(c.status).toBe('unknown');
    expect(c.details).toEqual(['Role x lacks pg_monitor']);
    // A real finding over incomplete data stays a finding.
    const found = grade({ longRunning: [session(5)], notices: [{ section: 'longRunning', incomplete: true, message: 'partial' }] });
    expect(status(found, 'long-running')).toBe('warn');
  });

  it('uses configured thresholds', () => {
    const s = { longRunning: [session(7, { durationSec: 20 })] };
    expect(status(grade(s), 'long-running')).toBe('ok');
    expect(status(grade(s, resolvePgThresholds({ longQueryWarnSec: 10 })), 'long-running')).toBe('warn');
    expect(() => resolvePgThresholds({ cacheHitWarn: 2 } as never)).toThrow(/cacheHitWarn/);
  });

  it('puts the worst first and names the root blocker for a blocking chain', () => {
    const checks = grade({
      blocked: [{ ...session(20, { durationSec: 95, waitEventType: 'Lock', waitEvent: 'transactionid' }), blockedBy: [10], waitSec: 90 }],
      blockers: [{ ...session(10, { state: 'idle in transaction' }), blockedBy: [], waitSec: null }],
      unusedIndexes: [{ schema: 'public', table: 't', index: 'i', bytes: 1024, scans: 0, definition: '' }],
      totals: { unusedIndexes: 1, duplicateIndexes: 0 },
    });
    expect(checks[0]).toMatchObject({ id: 'blocking', status: 'critical', pids: [10] });
    expect(checks[0]!.details[0]).toContain('pid 20 (api, waiting 1 min 30 s) is blocked by pid 10');
    expect(checks[1]).toMatchObject({ id: 'unused-indexes', status: 'warn' });
  });

  it('reports a lock wait it cannot time (no pg_monitor, PostgreSQL < 14) instead of dropping it, saying what was hidden', () => {
    const hidden = { state: null, durationSec: 0, xactSec: null, client: null, query: '<insufficient privilege>', backendType: null, hidden: true };
    const notice = { section: 'blocking' as const, incomplete: true, message: 'medic sees which sessions wait for which (pg_blocking_pids), but not the state, query text or client of pid 10, 20 (other roles\' sessions), nor how long pid 20 has waited, so it is reported whatever the wait (no pg_monitor: GRANT pg_monitor TO medic).' };
    const checks = grade({
      notices: [notice],
      blocked: [{ ...session(20, hidden), blockedBy: [10], waitSec: null }],
      blockers: [{ ...session(10, hidden), blockedBy: [], waitSec: null }],
    });
    const blocking = checks.find((c) => c.id === 'blocking')!;
    expect(blocking).toMatchObject({ status: 'warn', title: '1 session blocked (wait time hidden); root blocker: pid 10', pids: [10] });
    expect(blocking.details).toEqual([
      notice.message,
      "pid 20 (api, waiting for a time hidden from Medic) is blocked by pid 10: query hidden (app's session)",
      'root blocker pid 10 (app, api): state and query hidden from Medic',
    ]);
  });

  it('grades a short lock wait ok: a visible wait under the threshold is no finding', () => {
    const checks = grade({ blocked: [{ ...session(20), blockedBy: [10], waitSec: 3 }], blockers: [{ ...session(10), blockedBy: [], waitSec: null }] });
    expect(checks.find((c) => c.id === 'blocking')).toMatchObject({ status: 'ok', title: 'No session blocked by another' });
  });
});

describe('gradeRdsMetrics', () => {
  const series = (metric: RdsMetrics['series'][number]['metric'], values: number[]) => ({
    metric,
    points: values.map((value, i) => ({ at: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(), value })),
    latest: values.length ? values[values.length - 1]! : null,
    max: values.length ? Math.max(...values) : null,
    avg: values.length ? values.reduce((a, b) => a + b, 0) / values.length : null,
  });
  const metrics = (cpu: number[], free: number[], lag: number[] = []): RdsMetrics => ({
    instanceId: 'db-1', region: 'eu-west-1', from: '', to: '',
    series: [series('CPUUtilization', cpu), series('FreeStorageSpace', free), series('DatabaseConnections', [40]), series('ReadIOPS', [100]), series('WriteIOPS', [50]), series('ReplicaLag', lag)],
  });

  it('grades CPU on the last five minutes, not an old spike', () => {
    expect(gradeRdsMetrics(metrics([99, 99, 10, 10, 10, 10, 10], [50e9]), T).find((c) => c.id === 'rds-cpu')!.status).toBe('ok');
    expect(gradeRdsMetrics(metrics([10, 85, 85, 85, 85, 85], [50e9]), T).find((c) => c.id === 'rds-cpu')!.status).toBe('warn');
    expect(gradeRdsMetrics(metrics([97, 97, 97, 97, 97], [50e9]), T).find((c) => c.id === 'rds-cpu')!.status).toBe('critical');
  });

  it('grades free storage and replica lag, and says when there is no data', () => {
    const checks = gradeRdsMetrics(metrics([], [1e9], [90]), T);
    expect(checks.find((c) => c.id === 'rds-storage')).toMatchObject({ status: 'critical', title: 'RDS free storage 954 MiB' });
    expect(checks.find((c) => c.id === 'rds-replica-lag')!.status).toBe('critical');
    expect(checks.find((c) => c.id === 'rds-cpu')!.status).toBe('unknown');
    expect(checks[0]!.status).toBe('critical');
  });
});
