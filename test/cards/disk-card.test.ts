import { describe, expect, it } from 'vitest';
import { diskCheckCard, diskCleanupCard } from '../../cards/disk-card.js';
import type { DiskCheckResult, DiskCleanupResult, DiskMount } from '../../src/core/kinds/disk.js';
import { cardText, expectValidCard } from '../support/adaptive-card.js';

const NOW = 1_800_000_000_000;
const META = { jobId: 'j-9', requestedBy: 'ana@example.com', env: 'acme-prod', now: NOW };
const GB = 1024 ** 3;

function mount(p: Partial<DiskMount> = {}): DiskMount {
  return { mount: '/var', filesystem: '/dev/nvme1n1', fsType: 'xfs', sizeBytes: 100 * GB, usedBytes: 97 * GB, availableBytes: 3 * GB, inodes: 1000, inodesUsed: 100, inodesFree: 900, growth: { previousAt: NOW - 2 * 3_600_000, usedBytesDelta: 4 * GB, inodesUsedDelta: 3, bytesPerHour: 2 * GB }, ...p };
}

function check(p: Partial<DiskCheckResult> = {}): DiskCheckResult {
  return {
    kind: 'disk.check',
    env: 'acme-prod',
    target: 'app-1',
    name: 'app-1',
    tier: 'app',
    instanceId: 'i-0123456789abcdef0',
    commandId: 'cmd-1',
    notes: [],
    mounts: [mount(), mount({ mount: '/dev/shm', fsType: 'tmpfs', usedBytes: 0, availableBytes: GB, sizeBytes: GB, growth: null })],
    scans: [{ mount: '/var', complete: false, seconds: 30, files: 812_000, bytes: 90 * GB, rotated: { files: 40, bytes: 12 * GB }, dumps: { files: 2, bytes: 6 * GB }, cores: { files: 1, bytes: GB } }],
    consumers: [
      { kind: 'dir', mount: '/var', path: '/var/log/tomcat', bytes: 40 * GB },
      { kind: 'file', mount: '/var', path: '/var/log/tomcat/catalina.out', bytes: 20 * GB, mtime: NOW / 1000 },
      { kind: 'dump', mount: '/var', path: '/var/dumps/java_pid1.hprof', bytes: 4 * GB, mtime: NOW / 1000, uploaded: true },
      { kind: 'dump', mount: '/var', path: '/var/dumps/java_pid2.hprof', bytes: 2 * GB, mtime: NOW / 1000, uploaded: false },
    ],
    deletedOpen: [{ pid: 4242, fd: 12, process: 'java', path: '/var/log/tomcat/catalina.2026-12-01.log', mount: '/var', bytes: 3 * GB, underLogPaths: true }],
    journalBytes: 512 * 1024 ** 2,
    docker: { reachable: false, types: [] },
    plan: [
      { action: 'rotated-logs', path: '/var/log/tomcat', mount: '/var', files: 40, bytes: 12 * GB, exact: true },
      { action: 'deleted-open', path: '/var/log/tomcat/catalina.2026-12-01.log', mount: '/var', files: 1, bytes: 3 * GB, exact: true, pid: 4242, fd: 12, process: 'java' },
    ],
    allowedActions: ['rotated-logs', 'deleted-open'],
    scanBudgetSeconds: 30,
    cleanupCommand: 'disk cleanup acme-prod app-1 plan:rotated-logs=12884901888,deleted-open=3221225472',
    summary: 'app-1: /var 97% used',
    ...p,
  };
}

describe('disk cards', () => {
  it('shows use, growth, a partial scan, the held file with its process, and the plan with a button asking for it', () => {
    const c = diskCheckCard(check(), META);
    expectValidCard(c);
    const t = cardText(c.card);
    expect(t).toContain('+4.0 GB in 2.0 h');
    expect(t).toContain('Partial: the 30 s scan budget ran out');
    expect(t).toContain('pid 4242 java fd 12');
    expect(t).toContain('not uploaded');
    expect(t).toContain('not checked: the docker engine does not answer here');
    expect(t).toContain('Would free 15.0 GB');
    expect(c.card.actions).toEqual([expect.objectContaining({ data: { medic: 'prefill', text: check().cleanupCommand } })]);
  });

  it('says when no cleanup is configured, without a button', () => {
    const c = diskCheckCard(check({ plan: [], allowedActions: [], cleanupCommand: null }), META);
    expectValidCard(c);
    expect(cardText(c.card)).toContain('No cleanup is configured');
    expect(c.card.actions).toBeUndefined();
  });

  it('stays within the Webex card budget with long paths everywhere', () => {
    const long = `/var/${'x'.repeat(200)}`;
    const consumers = Array.from({ length: 50 }, (_, i) => ({ kind: (['dir', 'file', 'rot', 'dump', 'core'] as const)[i % 5], mount: '/var', path: `${long}/${i}`, bytes: i * GB }));
    const c = diskCheckCard(check({ consumers, deletedOpen: Array.from({ length: 30 }, (_, i) => ({ pid: i, fd: 3, process: 'java', path: `${long}/${i}`, mount: '/var', bytes: GB, underLogPaths: false })) }), META);
    expectValidCard(c);
  });

  function cleanupResult(p: Partial<DiskCleanupResult>): DiskCleanupResult {
    return { kind: 'disk.cleanup', env: 'acme-prod', target: 'app-1', name: 'app-1', tier: 'app', instanceId: 'i-0123456789abcdef0', commandId: 'cmd-2', notes: [], outcome: 'cleaned', before: [mount()], after: [mount({ usedBytes: 82 * GB, availableBytes: 18 * GB })], plan: check().plan, applied: [{ action: 'rotated-logs', path: '/var/log/tomcat', mount: '/var', files: 40, bytes: 12 * GB, failures: 0, error: null }, { action: 'deleted-open', path: '/var/log/tomcat/catalina.2026-12-01.log', mount: '/var', files: 1, bytes: 3 * GB, failures: 1, error: 'Permission denied' }], grew: [], caps: { 'rotated-logs': 12 * GB }, freedBytes: 15 * GB, failures: 1, summary: 'app-1: freed 15.0 GB with 1 failure', ...p };
  }

  it('shows what each action freed, failures, and the mounts before and after', () => {
    const c = diskCleanupCard(cleanupResult({}), META);
    expectValidCard(c);
    const t = cardText(c.card);
    expect(t).toContain('Permission denied');
    expect(t).toContain('97% (3.0 GB free)');
    expect(t).toContain('82% (18.0 GB free)');
  });

  it('says that nothing was deleted when the plan grew', () => {
    const c = diskCleanupCard(cleanupResult({ outcome: 'refused-grew', applied: [], after: [], grew: [{ action: 'rotated-logs', plannedBytes: 14 * GB, approvedBytes: 12 * GB }], freedBytes: 0, failures: 0, summary: 'refused' }), META);
    expectValidCard(c);
    expect(cardText(c.card)).toContain('nothing was deleted');
    expect(cardText(c.card)).toContain('14.0 GB');
  });
});
