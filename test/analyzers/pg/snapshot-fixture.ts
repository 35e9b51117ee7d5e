import type { PgSession, PgSnapshot } from '../../../src/core/pg-port.js';

/** A healthy snapshot; tests override the sections they are about. */
export function healthySnapshot(over: Partial<PgSnapshot> = {}): PgSnapshot {
  return {
    server: { version: 'PostgreSQL 15.20', versionNum: 150020, database: 'app', user: 'medic', endpoint: 'db.internal:5432', isReplica: false, maxConnections: 100, ownPid: 1, collectedAt: '2026-11-26T12:00:00.000Z', statsResetAt: null },
    privileges: { pgMonitor: true, superuser: false },
    notices: [],
    statements: 60,
    queries: 20,
    durationMs: 120,
    longRunning: [],
    idleInTransaction: [],
    blocked: [],
    blockers: [],
    connections: { total: 10, max: 100, reservedSuperuser: 3, bySource: [{ database: 'app', user: 'app', application: 'api', client: '10.0.0.5', count: 10 }] },
    tables: [{ schema: 'public', table: 'orders', totalBytes: 10 * 1024 ** 3, tableBytes: 8 * 1024 ** 3, indexBytes: 2 * 1024 ** 3, toastBytes: 0, estimatedRows: 1e8 }],
    schemas: [{ name: 'public', bytes: 10 * 1024 ** 3 }],
    databases: [{ name: 'app', bytes: 11 * 1024 ** 3 }],
    vacuum: [{ schema: 'public', table: 'orders', liveTuples: 1e8, deadTuples: 1e5, deadRatio: 0.001, lastVacuum: null, lastAutovacuum: '2026-11-26T10:00:00.000Z', lastAnalyze: null, lastAutoanalyze: '2026-11-26T10:00:00.000Z', autovacuumEnabled: true }],
    tableBloat: [{ schema: 'public', table: 'orders', realBytes: 8 * 1024 ** 3, bloatBytes: 0.1 * 8 * 1024 ** 3, bloatRatio: 0.1 }],
    indexBloat: [],
    wraparound: { freezeMaxAge: 200_000_000, databases: [{ name: 'app', age: 50_000_000, left: 2_096_483_648 }], tables: [{ name: 'public.orders', age: 40_000_000, left: 2_106_483_648 }] },
    cacheHit: { table: 0.999, index: 0.9995 },
    unusedIndexes: [],
    duplicateIndexes: [],
    invalidIndexes: [],
    invalidConstraints: [],
    totals: { unusedIndexes: 0, duplicateIndexes: 0 },
    sequences: [{ schema: 'public', sequence: 'orders_id_seq', column: 'public.orders.id', lastValue: 1e8, maxValue: 2147483647, ratio: 1e8 / 2147483647 }],
    topQueries: [{ query: 'select * from orders where id = $1', calls: 1e6, totalMs: 5e5, meanMs: 0.5, rows: 1e6, share: 0.6 }],
    replication: { lagSec: null, replicas: [], slots: [] },
    ...over,
  };
}

export function session(pid: number, over: Partial<PgSession> = {}): PgSession {
  return { pid, user: 'app', application: 'api', client: '10.0.0.5', state: 'active', durationSec: 90, xactSec: 90, waitEventType: null, waitEvent: null, query: 'select * from big where x = ?', backendType: 'client backend', ...over };
}
