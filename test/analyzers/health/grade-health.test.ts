import { describe, expect, it } from 'vitest';
import type { HealthCheck, HostReadings } from '../../../src/core/kinds/health.js';
import { gradeInstance, gradeReadings, type TierExpectations } from '../../../src/analyzers/health/grade-health.js';
import { healthCsv, healthSummary, sortRows } from '../../../src/analyzers/health/health-report.js';
import { parseHealthReadings, parseXmx } from '../../../src/analyzers/health/parse-readings.js';
import { DEFAULT_HEALTH_THRESHOLDS, resolveThresholds } from '../../../src/analyzers/health/thresholds.js';
import { healthyReadings, success } from './fixtures.js';

const NOW = 1_800_000_000;
const EXPECT: TierExpectations = { jvm: { process: 'org.apache.catalina.startup.Bootstrap' }, healthUrl: 'http://localhost:8080/health' };

function check(r: HostReadings, id: HealthCheck['id'], mount?: string, t = DEFAULT_HEALTH_THRESHOLDS, expect = EXPECT): HealthCheck | undefined {
  return gradeReadings(r, t, expect, NOW).find((c) => c.id === id && (mount === undefined || c.mount === mount));
}

describe('health thresholds', () => {
  it('grades a healthy host ok on every check', () => {
    const checks = gradeReadings(healthyReadings(), DEFAULT_HEALTH_THRESHOLDS, EXPECT, NOW);
    expect(checks.filter((c) => c.grade !== 'ok')).toEqual([]);
    expect(checks.map((c) => c.id)).toEqual(expect.arrayContaining(['uptime', 'load', 'memory', 'disk', 'inodes', 'jvm', 'health-url', 'hs-err', 'oom', 'clock']));
  });

  it.each([
    [79, 'ok'],
    [80, 'warn'],
    [89, 'warn'],
    [90, 'critical'],
    [97, 'critical'],
  ])('disk at %s percent on /var is %s', (pct, grade) => {
    const r = healthyReadings();
    r.disks![1]!.usedPercent = pct;
    expect(check(r, 'disk', '/var')).toMatchObject({ grade, headline: `disk ${pct}% on /var` });
  });

  it('grades a tmpfs mount (/dev/shm, /tmp) like a disk and says it is memory', () => {
    const r = healthyReadings();
    r.disks!.push({ filesystem: 'tmpfs', mount: '/dev/shm', fsType: 'tmpfs', sizeKb: 1024, usedKb: 980, availableKb: 44, usedPercent: 96 });
    r.inodes!.push({ filesystem: 'tmpfs', mount: '/tmp', fsType: 'tmpfs', inodes: 1000, used: 850, free: 150, usedPercent: 85 });
    expect(check(r, 'disk', '/dev/shm')).toMatchObject({ grade: 'critical', tmpfs: true, headline: 'tmpfs 96% full on /dev/shm', value: '96% (44.0 KiB free)', detail: 'tmpfs (in memory), size 1.0 MiB' });
    expect(check(r, 'inodes', '/tmp')).toMatchObject({ grade: 'warn', tmpfs: true, headline: 'inodes 85% on tmpfs /tmp' });
    expect(check(r, 'disk', '/')!.tmpfs).toBeUndefined();
    // The document's JSON carries the type; older output without it still parses.
    const parsed = parseHealthReadings(JSON.stringify(r));
    expect(parsed.ok && parsed.readings.disks!.map((d) => d.fsType)).toEqual([null, null, 'tmpfs']);
  });

  it.each([
    [79, 'ok'],
    [85, 'warn'],
    [95, 'critical'],
  ])('inodes at %s percent is %s', (pct, grade) => {
    const r = healthyReadings();
    r.inodes![0]!.usedPercent = pct;
    expect(check(r, 'inodes', '/')?.grade).toBe(grade);
  });

  it.each([
    [50, 'ok'],
    [10.5, 'ok'],
    [10, 'warn'],
    [5, 'critical'],
    [2, 'critical'],
  ])('memory with %s percent available is %s', (pct, grade) => {
    const total = 16 * 1024 ** 3;
    const r = healthyReadings({ memory: { source: 'free', totalBytes: total, usedBytes: 0, freeBytes: 0, availableBytes: (total * pct) / 100, swapTotalBytes: 0, swapUsedBytes: 0 } });
    expect(check(r, 'memory')?.grade).toBe(grade);
  });

  it.each([
    [2.9, 2, 'ok'],
    [3, 2, 'warn'],
    [6, 2, 'critical'],
    [6, 8, 'ok'],
  ])('5-minute load %d on %i cores is %s', (load, cores, grade) => {
    expect(check(healthyReadings({ load: { one: load, five: load, fifteen: load, cores } }), 'load')?.grade).toBe(grade);
  });

  it.each([
    [200, 120, 0, 'ok', 'health URL 200'],
    [204, 1500, 0, 'warn', 'health URL slow (1.5 s)'],
    [200, 6000, 0, 'critical', 'health URL slow (6.0 s)'],
    [503, 40, 0, 'critical', 'health URL 503'],
    [302, 40, 0, 'critical', 'health URL 302'],
    [null, null, 7, 'critical', 'health URL unreachable (connection refused)'],
    [null, null, 28, 'critical', 'health URL unreachable (no answer within 5 s)'],
    [null, null, null, 'unknown', 'health URL unreachable (curl is not installed)'],
  ] as const)('health URL status %s in %s ms (curl exit %s) is %s', (httpStatus, latencyMs, curlExit, grade, headline) => {
    expect(check(healthyReadings({ health: { url: 'http://localhost:8080/health', httpStatus, latencyMs, curlExit } }), 'health-url')).toMatchObject({ grade, headline });
  });

  it('calls a missing JVM down (critical) only where the tier expects one', () => {
    const r = healthyReadings({ jvm: { found: false, via: 'process', pid: null, uptimeSeconds: null, xmx: null, rssKb: null, user: null, cwd: null, command: null } });
    expect(check(r, 'jvm')).toMatchObject({ grade: 'critical', headline: 'JVM down', detail: 'no process matching "org.apache.catalina.startup.Bootstrap" is running' });
    expect(check({ ...r, jvm: { ...r.jvm!, via: 'container' } }, 'jvm', undefined, DEFAULT_HEALTH_THRESHOLDS, { jvm: { container: 'tomcat' } })).toMatchObject({ detail: 'container tomcat is not running' });
    expect(check(r, 'jvm', undefined, DEFAULT_HEALTH_THRESHOLDS, {})).toBeUndefined();
    expect(check(healthyReadings(), 'jvm')).toMatchObject({ grade: 'ok', value: 'pid 4242, up 2 h 0 min, -Xmx4g' });
  });

  it.each([
    [0.2, true, 'ok'],
    [-1.5, true, 'warn'],
    [6, true, 'critical'],
    [0.1, false, 'warn'],
    [null, null, 'unknown'],
    [null, false, 'warn'],
  ] as const)('clock offset %s s (synchronized %s) is %s', (offsetSeconds, synchronized, grade) => {
    expect(check(healthyReadings({ clock: { offsetSeconds, source: 'chrony', synchronized } }), 'clock')?.grade).toBe(grade);
  });

  it('warns about a JVM crash file of the last 24 h, critical when configured so', () => {
    const r = healthyReadings({ hsErr: [{ path: '/opt/tomcat/hs_err_pid4100.log', mtime: NOW - 7200 }] });
    expect(check(r, 'hs-err')).toMatchObject({ grade: 'warn', headline: 'JVM crash file 2 h 0 min ago', detail: '/opt/tomcat/hs_err_pid4100.log' });
    expect(check(r, 'hs-err', undefined, resolveThresholds({ hsErrGrade: 'critical' }))?.grade).toBe('critical');
  });

  it.each([
    [0, '24h', 'ok'],
    [2, '24h', 'warn'],
    ['unknown', null, 'unknown'],
  ] as const)('%s OOM kills is %s', (kills, window, grade) => {
    expect(check(healthyReadings({ oom: { kills, window, source: 'journal', last: null } }), 'oom')?.grade).toBe(grade);
  });

  it('warns about a host that booted minutes ago', () => {
    expect(check(healthyReadings({ uptimeSeconds: 180 }), 'uptime')).toMatchObject({ grade: 'warn', headline: 'rebooted 3 min ago' });
  });

  it('lets the tier override the environment, which overrides the defaults, bound by bound', () => {
    const t = resolveThresholds({ diskUsedPercent: { warn: 70 }, oomKillGrade: 'critical' }, { diskUsedPercent: { critical: 95 } });
    expect(t.diskUsedPercent).toEqual({ warn: 70, critical: 95 });
    expect(t.inodeUsedPercent).toEqual(DEFAULT_HEALTH_THRESHOLDS.inodeUsedPercent);
    expect(t.oomKillGrade).toBe('critical');
    const r = healthyReadings();
    r.disks![1]!.usedPercent = 92;
    expect(check(r, 'disk', '/var', t)?.grade).toBe('warn');
  });

  it.each([
    ['512m', 512 * 1024 ** 2],
    ['4g', 4 * 1024 ** 3],
    ['4G', 4 * 1024 ** 3],
    ['2048k', 2048 * 1024],
    ['1073741824', 1073741824],
    ['lots', null],
    [null, null],
  ])('reads -Xmx%s as %s bytes', (xmx, n) => {
    expect(parseXmx(xmx)).toBe(n);
  });
});

describe('one instance of the matrix', () => {
  const base = { tier: 'app', name: 'app-1', thresholds: DEFAULT_HEALTH_THRESHOLDS, expect: EXPECT, now: NOW };

  it.each([
    ['Undeliverable', 'unreachable (SSM agent offline?)'],
    ['InvalidInstance', 'not managed by SSM'],
    ['TimedOut', 'health check timed out'],
  ] as const)('turns %s into a critical row, not a crash', (status, headline) => {
    const row = gradeInstance({ ...base, result: { instanceId: 'i-1', status, exitCode: null, stdout: '', stderr: '', durationMs: 0, detail: 'why' } });
    expect(row).toMatchObject({ grade: 'critical', readings: null, checks: [{ id: 'reachable', grade: 'critical', headline, detail: 'why' }] });
  });

  it('turns unreadable output into a critical row that quotes it', () => {
    const row = gradeInstance({ ...base, result: { instanceId: 'i-1', status: 'Success', exitCode: 0, stdout: 'sh: 1: syntax error', stderr: '', durationMs: 1 } });
    expect(row.checks[0]).toMatchObject({ id: 'output', grade: 'critical' });
    expect(row.checks[0]!.detail).toContain('syntax error');
  });

  it('skips a banner line before the JSON and keeps a bad field from hiding the rest', () => {
    const json = JSON.parse(JSON.stringify(healthyReadings())) as Record<string, unknown>;
    json.load = 'garbage';
    const parsed = parseHealthReadings(`Welcome to Amazon Linux\n${JSON.stringify(json)}\n`);
    expect(parsed.ok && parsed.readings.load).toBeNull();
    expect(parsed.ok && parsed.readings.disks?.length).toBe(2);
  });

  it('grades the row by its worst check and lists sick checks first', () => {
    const r = healthyReadings();
    r.disks![1]!.usedPercent = 97;
    r.load = { one: 9, five: 9, fifteen: 9, cores: 4 };
    const row = gradeInstance({ ...base, result: success(r) });
    expect(row.grade).toBe('critical');
    expect(row.checks.slice(0, 2).map((c) => [c.grade, c.headline])).toEqual([
      ['critical', 'disk 97% on /var'],
      ['warn', 'load 9 on 4 cores'],
    ]);
  });
});

describe('summary and table', () => {
  const base = { thresholds: DEFAULT_HEALTH_THRESHOLDS, expect: EXPECT, now: NOW };
  const rows = (): ReturnType<typeof gradeInstance>[] => {
    const disk = healthyReadings({ instanceId: 'i-3' });
    disk.disks![1]!.usedPercent = 97;
    const down = healthyReadings({ instanceId: 'i-1', jvm: { found: false, via: 'process', pid: null, uptimeSeconds: null, xmx: null, rssKb: null, user: null, cwd: null, command: null } });
    const slow = healthyReadings({ instanceId: 'i-2', load: { one: 7, five: 7, fifteen: 7, cores: 4 } });
    return [
      gradeInstance({ ...base, tier: 'app', name: 'app-2', result: success(slow) }),
      gradeInstance({ ...base, tier: 'app', name: 'app-4', result: success(healthyReadings({ instanceId: 'i-4' })) }),
      gradeInstance({ ...base, tier: 'app', name: 'app-1', result: success(down) }),
      gradeInstance({ ...base, tier: 'app', name: 'app-3', result: success(disk) }),
    ];
  };

  it('names the sick instances worst first in one line', () => {
    expect(healthSummary(rows())).toBe('2 critical: app-1 JVM down, app-3 disk 97% on /var; 1 warning: app-2 load 7 on 4 cores; 1 healthy.');
    expect(sortRows(rows()).map((r) => r.name)).toEqual(['app-1', 'app-3', 'app-2', 'app-4']);
  });

  it('says all healthy when they are', () => {
    expect(healthSummary([gradeInstance({ ...base, tier: 'app', name: 'a', result: success(healthyReadings()) })])).toBe('All 1 instance healthy.');
  });

  it('writes one CSV line per instance and check, quoting and defusing formulas', () => {
    const r = rows();
    r[0]!.checks[0]!.detail = '=HYPERLINK("x")';
    const csv = healthCsv(r);
    const lines = csv.trim().split('\n');
    expect(lines[0]).toBe('tier,instance,name,status,instance_grade,check,mount,grade,value,detail');
    expect(lines.length - 1).toBe(r.reduce((n, row) => n + row.checks.length, 0));
    expect(csv).toContain(`"'=HYPERLINK(""x"")"`);
    expect(lines[1]).toMatch(/^app,i-1,app-1,Success,critical,jvm,,critical,not running,/);
  });
});
