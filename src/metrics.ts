import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { HttpMetrics } from './transport/http/http-server.js';

export interface MedicMetrics extends HttpMetrics {
  registry: Registry;
  replyLatency: Histogram;
  /** Alert requests turned away (bad token, bad payload, forged SNS message), by source and reason. */
  alertsRejected: Counter<'source' | 'reason'>;
  /** Supplies job counts per queue and state when /metrics is scraped. */
  setJobCounts(fn: () => Promise<Record<string, Record<string, number>>>): void;
}

/** Prometheus metrics: process defaults, HTTP requests, jobs by queue and state, reply latency. */
export function createMetrics(): MedicMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'medic_' });
  const httpRequests = new Counter({ name: 'medic_http_requests_total', help: 'HTTP requests by route, method and status', labelNames: ['route', 'method', 'status'], registers: [registry] });
  const httpDuration = new Histogram({ name: 'medic_http_request_duration_seconds', help: 'HTTP request duration', labelNames: ['route', 'method'], buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5], registers: [registry] });
  const replyLatency = new Histogram({
    name: 'medic_reply_latency_seconds',
    help: 'From a request reaching Medic to its reply being accepted by Webex',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
    registers: [registry],
  });
  const alertsRejected = new Counter({
    name: 'medic_alerts_rejected_total',
    help: 'Alert requests turned away, by source and reason (token, payload, not-sns, topic, stale, signature, subscribe-url)',
    labelNames: ['source', 'reason'] as const,
    registers: [registry],
  });
  let jobCounts: (() => Promise<Record<string, Record<string, number>>>) | undefined;
  new Gauge({
    name: 'medic_jobs',
    help: 'Jobs by queue and state',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      if (!jobCounts) return;
      const counts = await jobCounts().catch(() => ({}) as Record<string, Record<string, number>>);
      this.reset();
      for (const [queue, states] of Object.entries(counts)) for (const [state, n] of Object.entries(states)) this.set({ queue, state }, n);
    },
  });
  return {
    registry,
    replyLatency,
    alertsRejected,
    setJobCounts: (fn) => {
      jobCounts = fn;
    },
    observeRequest(route, method, status, seconds) {
      httpRequests.inc({ route, method, status: String(status) });
      httpDuration.observe({ route, method }, seconds);
    },
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
