import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback CloudWatch that speaks what @aws-sdk/client-cloudwatch 3.11xx sends: AWS JSON 1.0
 * (`X-Amz-Target: GraniteServiceVersion20100801.<Operation>`, timestamps as epoch seconds), with the
 * awsQueryCompatible error header. Only GetMetricData, answered from a per-test handler.
 */

export interface MetricDataQueryIn {
  Id: string;
  Label?: string;
  MetricStat?: { Metric: { Namespace: string; MetricName: string; Dimensions?: Array<{ Name: string; Value: string }> }; Period: number; Stat: string };
}
export interface GetMetricDataIn {
  MetricDataQueries: MetricDataQueryIn[];
  StartTime: number;
  EndTime: number;
  NextToken?: string;
  ScanBy?: string;
}
export interface MetricDataResultOut {
  Id: string;
  Label?: string;
  Timestamps: number[];
  Values: number[];
  StatusCode?: 'Complete' | 'PartialData';
}
export type FakeReply = { body: { MetricDataResults: MetricDataResultOut[]; NextToken?: string } } | { error: { status: number; code: string; message: string } };

export interface FakeCloudWatch {
  endpoint: string;
  /** Every request: target header, content type and decoded body. */
  requests: Array<{ target: string; contentType: string; authorization: string; body: GetMetricDataIn }>;
  close(): Promise<void>;
}

export async function startFakeCloudWatch(handler: (input: GetMetricDataIn, call: number) => FakeReply): Promise<FakeCloudWatch> {
  const requests: FakeCloudWatch['requests'] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as GetMetricDataIn;
      requests.push({ target, contentType: String(req.headers['content-type'] ?? ''), authorization: String(req.headers.authorization ?? ''), body });
      const send = (status: number, payload: unknown, headers: Record<string, string> = {}): void => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', ...headers });
        res.end(JSON.stringify(payload));
      };
      if (target !== 'GraniteServiceVersion20100801.GetMetricData') {
        send(400, { __type: 'com.amazonaws.cloudwatch#InvalidAction', message: `unsupported ${target}` }, { 'x-amzn-query-error': 'InvalidAction;Sender' });
        return;
      }
      const out = handler(body, requests.length);
      if ('error' in out) {
        send(out.error.status, { __type: `com.amazonaws.cloudwatch#${out.error.code}`, message: out.error.message }, { 'x-amzn-query-error': `${out.error.code};${out.error.status >= 500 ? 'Receiver' : 'Sender'}` });
      } else {
        send(200, out.body);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
