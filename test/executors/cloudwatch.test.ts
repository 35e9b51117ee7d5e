import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { afterEach, describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { createRdsMetrics } from '../../src/executors/cloudwatch.js';
import { startFakeCloudWatch, type FakeCloudWatch, type GetMetricDataIn } from '../support/fake-aws/cloudwatch-server.js';

const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);
let fake: FakeCloudWatch | undefined;

afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

function clientFor(endpoint: string) {
  return (region: string) => new CloudWatchClient({ region, endpoint, credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' }, maxAttempts: 3 });
}

/** Three points per query, value = index of the query * 10 + minute, so each series is recognisable. */
function answer(input: GetMetricDataIn) {
  return {
    body: {
      MetricDataResults: input.MetricDataQueries.map((q, i) => ({
        Id: q.Id,
        Label: q.Label,
        StatusCode: 'Complete' as const,
        Timestamps: [0, 1, 2].map((m) => input.EndTime - 600 + m * 60),
        Values: [0, 1, 2].map((m) => i * 10 + m),
      })),
    },
  };
}

describe('createRdsMetrics', () => {
  it('asks GetMetricData for the six RDS metrics of the last hour over the JSON protocol and decodes the series', async () => {
    fake = await startFakeCloudWatch((input) => answer(input));
    const metrics = await createRdsMetrics(clientFor(fake.endpoint)).lastHour({ instanceId: 'acme-prod-db', region: 'eu-west-1' }, { now: NOW });
    const req = fake.requests[0]!;
    expect(req.target).toBe('GraniteServiceVersion20100801.GetMetricData');
    expect(req.contentType).toBe('application/x-amz-json-1.0');
    expect(req.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDTEST\/\d{8}\/eu-west-1\/monitoring\/aws4_request/);
    expect(req.body.EndTime - req.body.StartTime).toBe(3600);
    expect(req.body.EndTime).toBe(NOW / 1000);
    expect(req.body.MetricDataQueries.map((q) => q.MetricStat?.Metric.MetricName)).toEqual(['CPUUtilization', 'FreeStorageSpace', 'DatabaseConnections', 'ReadIOPS', 'WriteIOPS', 'ReplicaLag']);
    expect(new Set(req.body.MetricDataQueries.map((q) => q.MetricStat?.Metric.Dimensions?.[0]?.Value))).toEqual(new Set(['acme-prod-db']));
    const cpu = metrics.series.find((s) => s.metric === 'CPUUtilization')!;
    expect(cpu.points.map((p) => p.value)).toEqual([0, 1, 2]);
    expect(cpu.points[0]!.at).toBe(new Date(NOW - 600_000).toISOString());
    expect(cpu.latest).toBe(2);
    const lag = metrics.series.find((s) => s.metric === 'ReplicaLag')!;
    expect([lag.latest, lag.max, lag.avg]).toEqual([52, 52, 51]);
  });

  it('follows NextToken pages and merges the points', async () => {
    fake = await startFakeCloudWatch((input, call) => {
      const a = answer(input);
      if (call === 1) return { body: { MetricDataResults: a.body.MetricDataResults.map((r) => ({ ...r, Timestamps: r.Timestamps.slice(0, 1), Values: r.Values.slice(0, 1) })), NextToken: 'page-2' } };
      expect(input.NextToken).toBe('page-2');
      return { body: { MetricDataResults: a.body.MetricDataResults.map((r) => ({ ...r, Timestamps: r.Timestamps.slice(1), Values: r.Values.slice(1) })) } };
    });
    const metrics = await createRdsMetrics(clientFor(fake.endpoint)).lastHour({ instanceId: 'db-1', region: 'us-east-1' }, { now: NOW });
    expect(fake.requests).toHaveLength(2);
    expect(metrics.series.find((s) => s.metric === 'WriteIOPS')!.points.map((p) => p.value)).toEqual([40, 41, 42]);
  });

  it('retries a throttled call and then succeeds', async () => {
    fake = await startFakeCloudWatch((input, call) => (call === 1 ? { error: { status: 400, code: 'Throttling', message: 'Rate exceeded' } } : answer(input)));
    const metrics = await createRdsMetrics(clientFor(fake.endpoint)).lastHour({ instanceId: 'db-1', region: 'us-east-1' }, { now: NOW });
    expect(fake.requests.length).toBe(2);
    expect(metrics.series[0]!.latest).toBe(2);
  });

  it('turns an access error into a UserError naming the instance and the permission', async () => {
    fake = await startFakeCloudWatch(() => ({ error: { status: 403, code: 'AccessDenied', message: 'not authorized to perform cloudwatch:GetMetricData' } }));
    const err = await createRdsMetrics(clientFor(fake.endpoint)).lastHour({ instanceId: 'db-9', region: 'us-east-1' }, { now: NOW }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toContain('db-9');
    expect((err as UserError).message).toContain('AccessDenied');
    expect((err as UserError).hint).toContain('cloudwatch:GetMetricData');
    expect(fake.requests).toHaveLength(1);
  });
});
