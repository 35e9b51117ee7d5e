import { readdirSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import express from 'express';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Alert, DeadLetterEntry } from '../../../src/core/alert.js';
import type { Logger } from '../../../src/core/ports.js';
import { createAlertsRouter } from '../../../src/transport/alerts/alerts-router.js';
import { normalizeAlertmanager, normalizeDatadog, PayloadError } from '../../../src/transport/alerts/normalize.js';
import { corpusPath } from '../../support/corpus.js';

// Real payloads from other projects' tests and docs, read in place from the corpus: `npm run test:corpus`.
const load = (p: string): unknown => JSON.parse(readFileSync(corpusPath('alerts', p), 'utf8'));
const NOW = 1_700_000_000_000;

describe('the real Alertmanager payloads of the corpus', () => {
  it.each([
    ['alertmanager/alertmanager-notify-exec-testdata-success.json', 1, 'firing'],
    ['alertmanager/dingtalk-PlaygroundDemoAlert-v3.json', 2, 'firing'],
    ['alertmanager/prom2teams-all_ok_multiple-resolved.json', 2, 'resolved'],
    ['alertmanager/prom2teams-with_common_items-resolved.json', 1, 'resolved'],
    ['alertmanager/prometheus-msteams-prom_post_request-firing.json', 1, 'firing'],
    ['alertmanager/prometheus_bot-big_output-v3-long-annotation.json', 1, 'firing'],
    ['alertmanager/prometheus_bot-production_example-legacy.json', 11, 'firing'],
    ['alertmanager/zulip-fixture-alert-firing.json', 2, 'firing'],
  ])('accepts %s as %i alert(s), %s', (file, count, status) => {
    const alerts = normalizeAlertmanager(load(file), NOW);
    expect(alerts).toHaveLength(count);
    for (const a of alerts) {
      expect(a.status).toBe(status);
      expect(a.source).toBe('alertmanager');
      expect(a.fingerprint).toMatch(/^alertmanager:.+/);
      expect(a.title.length).toBeGreaterThan(0);
      expect(a.title.length).toBeLessThanOrEqual(300);
      expect(a.raw.length).toBeLessThanOrEqual(4096);
      expect(a.receivedAt).toBe(NOW);
    }
  });

  it('refuses the payload without status, saying so', () => {
    expect(() => normalizeAlertmanager(load('alertmanager/prom2teams-without_mandatory_field-malformed.json'), NOW)).toThrow(/status/);
  });

  it('reads environment, target without port, severity and the episode from labels', () => {
    const [a, b] = normalizeAlertmanager(load('alertmanager/dingtalk-PlaygroundDemoAlert-v3.json'), NOW);
    expect(a!.environment).toBe('prod');
    expect(a!.target).toBe('server01.int');
    expect(a!.cycle).toBe('2016-04-27T20:46:37.903Z');
    expect(a!.startedAt).toBe(Date.parse('2016-04-27T20:46:37.903Z'));
    expect(a!.fingerprint).not.toBe(b!.fingerprint);
    const [z] = normalizeAlertmanager(load('alertmanager/zulip-fixture-alert-firing.json'), NOW);
    expect(z!.fingerprint).toBe('alertmanager:a1bc48475b20e73d');
    expect(z!.severity).toBe('critical');
    expect(z!.target).toBe('andromeda');
    expect(z!.title).toBe('High CPU Temperature: High CPU core temperature');
  });

  it('gives the legacy alerts without fingerprints distinct, stable fingerprints from their labels', () => {
    const first = normalizeAlertmanager(load('alertmanager/prometheus_bot-production_example-legacy.json'), NOW);
    const again = normalizeAlertmanager(load('alertmanager/prometheus_bot-production_example-legacy.json'), NOW + 1);
    expect(new Set(first.map((a) => a.fingerprint)).size).toBe(first.length);
    expect(again.map((a) => a.deliveryKey)).toEqual(first.map((a) => a.deliveryKey));
  });

  it('keeps the resolved end time of a resolved alert', () => {
    const [a] = normalizeAlertmanager(load('alertmanager/prom2teams-all_ok_multiple-resolved.json'), NOW);
    expect(a!.endedAt).toBe(Date.parse('2017-05-09T07:08:37.818Z'));
  });
});

describe('the real Datadog payloads of the corpus', () => {
  it('accepts the default template: monitor id from the body, status from the title prefix', () => {
    const [a] = normalizeDatadog(load('datadog/relay-default-template-service_check-2020-06-03.json'), NOW);
    expect(a!.id).toBe('18692904');
    expect(a!.status).toBe('firing');
    expect(a!.title).toBe('[TEST] Host Cluster Alert');
    expect(a!.cycle).toBeUndefined();
    expect(a!.startedAt).toBe(1591216985000);
  });

  it('accepts the webhookToSnmp custom template with scope, host and transition', () => {
    const [a] = normalizeDatadog(load('datadog/webhookToSnmp-custom-template-triggered-2020-11-11.json'), NOW);
    expect(a!.id).toBe('25562336');
    expect(a!.status).toBe('firing');
    expect(a!.target).toBe('nls-jenkins-master');
    expect(a!.severity).toBe('critical');
    const [b] = normalizeDatadog(load('datadog/webhookToSnmp-custom-template-triggered-2020-11-30.json'), NOW);
    expect(b!.id).toBe('2865250');
    expect(b!.target).toBe('router-0');
    expect(b!.link).toMatch(/^https:\/\/app\.datadoghq\.com\//);
  });

  it('accepts the port-docs template: alert_id, tags string with spaces, service', () => {
    const [a] = normalizeDatadog(load('datadog/port-docs-custom-template-example.json'), NOW);
    expect(a!.id).toBe('1234567890');
    expect(a!.status).toBe('firing');
    expect(a!.service).toBe('my-service');
    expect(a!.tags.role).toBe('computing-node');
  });

  it.each([
    ['datadog/freckle-custom-minimal-template-DOWN.json', /no alert id.*\$ALERT_ID/],
    ['datadog/webhookToSnmp-http-capture-with-headers-2020-11-11.json', /no alert id/],
  ])('refuses %s with a reason that says how to fix the template', (file, reason) => {
    expect(() => normalizeDatadog(load(file), NOW)).toThrow(PayloadError);
    expect(() => normalizeDatadog(load(file), NOW)).toThrow(reason);
  });
});

describe('the alerts router on every corpus payload', () => {
  const TOKEN = 'corpus-test-token-0123456789';
  const silent: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent };
  let server: Server;
  let base: string;
  let enqueued: Alert[][];
  let dead: DeadLetterEntry[];
  beforeAll(async () => {
    const app = express();
    app.use(
      '/alerts',
      createAlertsRouter({
        tokens: { alertmanager: TOKEN, datadog: TOKEN },
        enqueue: async (a) => {
          enqueued.push(a);
          return { created: a.length, duplicates: 0 };
        },
        deadLetter: async (e) => void dead.push(e),
        fetcher: async () => ({ status: 404, body: '' }),
        clock: { now: () => NOW },
        log: silent,
      }),
    );
    await new Promise<void>((r) => {
      server = app.listen(0, '127.0.0.1', () => r());
    });
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  beforeEach(() => {
    enqueued = [];
    dead = [];
  });

  const files = (dir: string) => readdirSync(corpusPath('alerts', dir)).map((f) => [dir, f] as const);
  it.each([...files('alertmanager'), ...files('datadog')])('%s/%s is accepted, or refused with a reason and dead-lettered', async (dir, file) => {
    const body = readFileSync(corpusPath('alerts', dir, file), 'utf8');
    const r = await fetch(`${base}/alerts/${dir}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body });
    const answer = (await r.json()) as { accepted?: number; error?: string };
    const refused = /malformed|freckle|http-capture/.test(file);
    if (refused) {
      expect(r.status).toBe(400);
      expect(answer.error).toMatch(/status must be|no alert id/);
      expect(dead).toHaveLength(1);
      expect(dead[0]!.body).toBe(body);
      expect(enqueued).toHaveLength(0);
    } else {
      expect(r.status).toBe(202);
      expect(answer.accepted).toBeGreaterThan(0);
      expect(enqueued.flat()).toHaveLength(answer.accepted!);
      expect(dead).toHaveLength(0);
    }
  });
});
