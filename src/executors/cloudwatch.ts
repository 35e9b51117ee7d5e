import { GetMetricDataCommand, type CloudWatchClient, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { UserError, errorMessage } from '../core/errors.js';
import { RDS_METRICS, type RdsMetricName, type RdsMetrics, type RdsMetricsClient, type RdsMetricSeries } from '../core/pg-port.js';

/**
 * RDS instance metrics of the last hour through CloudWatch GetMetricData (the `RdsMetricsClient` port), the same six
 * PgHero's "system" page shows. main.ts builds the SDK clients (one per region) and passes a factory, so tests can
 * point a real client at a local protocol server.
 */

const PERIOD_SEC = 60;
const HOUR_MS = 3600_000;

/** Query ids must start with a lower-case letter; the map keeps the answer keyed by metric name. */
const QUERY_ID: Record<RdsMetricName, string> = {
  CPUUtilization: 'cpu',
  FreeStorageSpace: 'freestorage',
  DatabaseConnections: 'connections',
  ReadIOPS: 'readiops',
  WriteIOPS: 'writeiops',
  ReplicaLag: 'replicalag',
};

export function createRdsMetrics(clientFor: (region: string) => CloudWatchClient): RdsMetricsClient {
  return {
    async lastHour(rds, opts = {}) {
      const to = new Date(opts.now ?? Date.now());
      const from = new Date(to.getTime() - HOUR_MS);
      const queries: MetricDataQuery[] = RDS_METRICS.map((metric) => ({
        Id: QUERY_ID[metric],
        Label: metric,
        ReturnData: true,
        MetricStat: {
          Metric: { Namespace: 'AWS/RDS', MetricName: metric, Dimensions: [{ Name: 'DBInstanceIdentifier', Value: rds.instanceId }] },
          Period: PERIOD_SEC,
          Stat: 'Average',
        },
      }));
      const points = new Map<string, Array<{ at: number; value: number }>>();
      const client = clientFor(rds.region);
      let nextToken: string | undefined;
      // An hour of 1-minute points for six metrics fits in one page; the loop is for the rare partial answer.
      for (let page = 0; page < 10; page++) {
        let out;
        try {
          out = await client.send(
            new GetMetricDataCommand({ MetricDataQueries: queries, StartTime: from, EndTime: to, ScanBy: 'TimestampAscending', NextToken: nextToken }),
            { abortSignal: opts.signal },
          );
        } catch (e) {
          const name = (e as { name?: string }).name ?? 'Error';
          throw new UserError(`CloudWatch did not return the metrics of RDS instance ${rds.instanceId} (${rds.region}): ${name}: ${errorMessage(e)}`, 'Check that the worker role may call cloudwatch:GetMetricData in that region and that the instance id in the inventory is right.');
        }
        for (const r of out.MetricDataResults ?? []) {
          if (!r.Id) continue;
          const list = points.get(r.Id) ?? [];
          (r.Timestamps ?? []).forEach((t, i) => {
            const v = r.Values?.[i];
            if (v !== undefined) list.push({ at: t.getTime(), value: v });
          });
          points.set(r.Id, list);
        }
        nextToken = out.NextToken;
        if (!nextToken) break;
      }
      const series: RdsMetricSeries[] = RDS_METRICS.map((metric) => {
        const list = (points.get(QUERY_ID[metric]) ?? []).sort((a, b) => a.at - b.at);
        const values = list.map((p) => p.value);
        return {
          metric,
          points: list.map((p) => ({ at: new Date(p.at).toISOString(), value: p.value })),
          latest: values.length ? values[values.length - 1]! : null,
          max: values.length ? Math.max(...values) : null,
          avg: values.length ? values.reduce((a, b) => a + b, 0) / values.length : null,
        };
      });
      return { instanceId: rds.instanceId, region: rds.region, from: from.toISOString(), to: to.toISOString(), series } satisfies RdsMetrics;
    },
  };
}
