import { describe, expect, it } from 'vitest';
import { healthCard, nextSteps } from '../../cards/health-card.js';
import type { HealthResult } from '../../src/core/kinds/health.js';
import { gradeInstance } from '../../src/analyzers/health/grade-health.js';
import { countGrades, healthCsv, healthSummary, sortRows } from '../../src/analyzers/health/health-report.js';
import { DEFAULT_HEALTH_THRESHOLDS } from '../../src/analyzers/health/thresholds.js';
import { healthyReadings, success } from '../analyzers/health/fixtures.js';
import { cardText, expectValidCard } from '../support/adaptive-card.js';

const NOW = 1_800_000_000;
const META = { jobId: 'j-123', requestedBy: 'ana@example.com', env: 'acme-prod', now: NOW * 1000 };
const EXPECT = { jvm: { process: 'org.apache.catalina.startup.Bootstrap' }, healthUrl: 'http://localhost:8080/health' };

function result(rows: ReturnType<typeof gradeInstance>[], tiers: string[]): HealthResult {
  const sorted = sortRows(rows);
  return { kind: 'health.check', env: 'acme-prod', tiers, instances: sorted, counts: countGrades(sorted), commandIds: ['c-1'], startedAt: NOW * 1000, finishedAt: NOW * 1000 + 4200, summary: healthSummary(sorted), attachments: [{ name: 'health-acme-prod.csv', contentType: 'text/csv', content: healthCsv(sorted) }] };
}

/** 50 instances in 3 tiers, a handful sick in different ways, one unreachable. */
function fleet(): HealthResult {
  const rows = [];
  for (let i = 1; i <= 50; i++) {
    const tier = i <= 40 ? 'app' : i <= 46 ? 'web' : 'batch';
    const id = `i-${i.toString(16).padStart(17, '0')}`;
    const r = healthyReadings({ instanceId: id });
    if (i === 3) r.disks![1] = { ...r.disks![1]!, mount: '/var/lib/tomcat/webapps/some-very-long-application-name/logs', usedPercent: 97 };
    if (i === 7) r.jvm = { ...r.jvm!, found: false, pid: null };
    if (i === 9) r.load = { one: 14, five: 13.5, fifteen: 12, cores: 4 };
    if (i === 12) r.inodes![1]!.usedPercent = 85;
    if (i === 15) r.health = { url: 'http://localhost:8080/health', httpStatus: 503, latencyMs: 20, curlExit: 0 };
    if (i === 22) r.hsErr = [{ path: '/opt/tomcat/hs_err_pid99.log', mtime: NOW - 3600 }];
    if (i === 41) r.clock = { offsetSeconds: 7.5, source: 'chrony', synchronized: true };
    const result = i === 30 ? { instanceId: id, status: 'Undeliverable' as const, exitCode: null, stdout: '', stderr: '', durationMs: 0, detail: 'not delivered in time' } : success(r);
    rows.push(gradeInstance({ tier, name: `${tier}-${i}`, result, thresholds: DEFAULT_HEALTH_THRESHOLDS, expect: EXPECT, now: NOW }));
  }
  return result(rows, ['app', 'web', 'batch']);
}

describe('health card', () => {
  it('is a valid card for one healthy instance, with its readings', () => {
    const one = result([gradeInstance({ tier: 'host', name: 'local', result: success(healthyReadings({ instanceId: 'local' })), thresholds: DEFAULT_HEALTH_THRESHOLDS, expect: EXPECT, now: NOW })], ['host']);
    const msg = healthCard(one, META);
    expectValidCard(msg);
    const t = cardText(msg.card);
    expect(t).toContain('All 1 instance healthy.');
    expect(t).toContain('host: ✅ local');
    expect(t).toMatch(/JVM: pid 4242, up 2 h 0 min, -Xmx4g/);
    expect(msg.text).toBe('Health acme-prod: All 1 instance healthy.');
    expect(msg.card.body.some((e) => e.type === 'ActionSet')).toBe(false);
  });

  it('fits 50 instances in one valid card: sick ones detailed worst first, healthy ones grouped', () => {
    const r = fleet();
    const msg = healthCard(r, META);
    expectValidCard(msg);
    const t = cardText(msg.card);
    expect(r.summary).toMatch(/^6 critical: app-3 disk 97% on \/var\/lib\/tomcat\/webapps\/some-very-long-application-name\/logs, app-7 JVM down, /);
    expect(t).toContain('50 instances in 3 tiers · 6 critical · 2 warning · 42 healthy · 4.2 s');
    expect(t).toContain('app: 🛑 app-3 · 🛑 app-7 · 🛑 app-9 · 🛑 app-15 · 🛑 app-30 · ⚠️ app-12 · ⚠️ app-22 · ✅ 33 healthy');
    expect(t).toContain('web: 🛑 web-41 · ✅ 5 healthy');
    expect(t).toContain('batch: ✅ 4 healthy');
    expect(t).toContain('JVM down');
    expect(t).toContain('unreachable (SSM agent offline?) — not delivered in time');
    expect(t).toMatch(/Healthy \(42\)/);
    // Healthy instances are named in groups, not one block each.
    expect(t).not.toContain('app-44 ·');
  });

  it('offers the natural next command, prefilled, for the instance it concerns', () => {
    const msg = healthCard(fleet(), META);
    const actions = JSON.stringify(msg.card);
    expect(actions).toContain(JSON.stringify({ medic: 'prefill', text: 'disk cleanup acme-prod app-3' }));
    expect(actions).toContain(JSON.stringify({ medic: 'prefill', text: 'disk cleanup acme-prod app-12' }));
    expect(actions).toContain(JSON.stringify({ medic: 'prefill', text: 'jvm threads acme-prod app-9' }));
    expect(actions).toContain(JSON.stringify({ medic: 'prefill', text: 'jvm threads acme-prod app-15' }));
    // A JVM that is down has no thread dump to take.
    expect(actions).not.toContain('jvm threads acme-prod app-7');
  });

  it('offers no disk cleanup for a full tmpfs, which is memory, and labels it tmpfs', () => {
    const r = healthyReadings({ instanceId: 'i-0000000000000shm', hostname: 'app-shm' });
    r.disks!.push({ filesystem: 'tmpfs', mount: '/dev/shm', fsType: 'tmpfs', sizeKb: 1024, usedKb: 1000, availableKb: 24, usedPercent: 98 });
    const row = gradeInstance({ tier: 'app', name: 'app-shm', result: success(r), thresholds: DEFAULT_HEALTH_THRESHOLDS, expect: {}, now: 1_800_000_000 });
    expect(row.grade).toBe('critical');
    expect(nextSteps(row, 'acme-prod').map((a) => a.title)).toEqual([]);
    r.disks![1]!.usedPercent = 95;
    const both = gradeInstance({ tier: 'app', name: 'app-shm', result: success(r), thresholds: DEFAULT_HEALTH_THRESHOLDS, expect: {}, now: 1_800_000_000 });
    expect(nextSteps(both, 'acme-prod').map((a) => a.title)).toEqual(['Disk cleanup app-shm']);
  });

  it('stays within the card budget when every instance of 50 is sick', () => {
    const rows = Array.from({ length: 50 }, (_, i) => {
      const r = healthyReadings({ instanceId: `i-${i}` });
      r.disks = r.disks!.map((d) => ({ ...d, mount: `${d.mount}/${'deep/'.repeat(20)}${i}`, usedPercent: 95 }));
      r.jvm = { ...r.jvm!, found: false };
      return gradeInstance({ tier: 'app', name: `app-with-a-rather-long-name-${i}`, result: success(r), thresholds: DEFAULT_HEALTH_THRESHOLDS, expect: EXPECT, now: NOW });
    });
    const msg = healthCard(result(rows, ['app']), META);
    expectValidCard(msg);
    expect(cardText(msg.card)).toMatch(/more instances? needing attention: see health-acme-prod\.csv/);
  });
});
