import type { InstanceResult } from '../../../src/core/executor.js';
import type { HostReadings } from '../../../src/core/kinds/health.js';

/** A healthy host as Medic-HealthCheck reports it; tests override what they grade. */
export function healthyReadings(over: Partial<HostReadings> = {}): HostReadings {
  return {
    instanceId: 'i-00000000000000001',
    hostname: 'app-1',
    os: 'Amazon Linux 2023',
    collectedAt: 1_800_000_000,
    uptimeSeconds: 86_400 * 12,
    load: { one: 0.5, five: 0.6, fifteen: 0.7, cores: 4 },
    memory: { source: 'free', totalBytes: 16 * 1024 ** 3, usedBytes: 6 * 1024 ** 3, freeBytes: 2 * 1024 ** 3, availableBytes: 8 * 1024 ** 3, swapTotalBytes: 0, swapUsedBytes: 0 },
    disks: [
      { filesystem: '/dev/nvme0n1p1', mount: '/', sizeKb: 50_000_000, usedKb: 20_000_000, availableKb: 30_000_000, usedPercent: 40 },
      { filesystem: '/dev/nvme1n1', mount: '/var', sizeKb: 100_000_000, usedKb: 30_000_000, availableKb: 70_000_000, usedPercent: 30 },
    ],
    inodes: [
      { filesystem: '/dev/nvme0n1p1', mount: '/', inodes: 3_000_000, used: 300_000, free: 2_700_000, usedPercent: 10 },
      { filesystem: '/dev/nvme1n1', mount: '/var', inodes: 6_000_000, used: 60_000, free: 5_940_000, usedPercent: 1 },
    ],
    jvm: { found: true, via: 'process', pid: 4242, uptimeSeconds: 7200, xmx: '4g', rssKb: 3_000_000, user: 'tomcat', cwd: '/opt/tomcat', command: 'java -Xmx4g org.apache.catalina.startup.Bootstrap start' },
    health: { url: 'http://localhost:8080/health', httpStatus: 200, latencyMs: 35, curlExit: 0 },
    ports: [22, 8080, 8443],
    hsErr: [],
    oom: { kills: 0, window: '24h', source: 'journal', last: null },
    clock: { offsetSeconds: 0.002, source: 'chrony', synchronized: true },
    notes: [],
    ...over,
  };
}

export function success(readings: HostReadings): InstanceResult {
  return { instanceId: readings.instanceId, status: 'Success', exitCode: 0, stdout: `${JSON.stringify(readings)}\n`, stderr: '', durationMs: 900 };
}
