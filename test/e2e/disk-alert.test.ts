import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalSpace, Message } from '../../src/local-space/local-space.js';
import { cardText, expectValidCard } from '../support/adaptive-card.js';
import { cardOf, startHarness, type Harness } from '../support/medic-harness.js';
import { allocated, manifest, makeFilesystems, writeAged, type TestFilesystems } from '../runbooks/disk/disk-fs.js';

/**
 * The disk alert end to end, on a loop-mounted ext4 this test fills: a Datadog `system.disk.in_use` alert opens an
 * incident, the route runs `disk` (diagnosis and dry-run plan) in its thread, the on-call presses the card's cleanup
 * button, a second person approves, the cleanup frees what the plan said, and the recovery resolves the incident.
 * An Alertmanager `node_filesystem_avail_bytes` alert takes the same route.
 */

const DD_TOKEN = 'datadog-disk-token-0123456789abcd';
const AM_TOKEN = 'medic-disk-token-0123456789abcdef';

let fs: TestFilesystems;
let logs: string;
let keep: string;
const doomed = new Map<string, number>();

const configFor = (space: LocalSpace) => `
environments:
  web:
    incidentSpace: ${space.rooms.group.id}
    cleanup:
      rotatedLogs: { paths: [${logs}], olderThanDays: 7 }
    tiers:
      app:
        targets: { instanceIds: [local] }
        names: { local: web-1 }
access:
  - { who: alice@example.com, role: operator }
  - { who: bob@example.com, role: approver }
alerts:
  groupWindowSeconds: 0
  followUpSeconds: 1
  sources:
    datadog: { tokenEnv: DATADOG_ALERT_TOKEN }
routes:
  - name: disk-full
    match: { title: 'disk usage|filesystem.*(full|space)' }
    runbooks: ['disk {env} {target} ${fs.ext4}']
    environments: [web]
    mode: diagnose
`;

describe('a disk-full alert: incident → diagnosis → approval → cleanup → resolved', () => {
  let h: Harness;
  let base: string;
  const fromBot = (m: Message) => m.personId === h.space.bot.id;
  const text = (m: Message) => `${m.markdown ?? m.text ?? ''}\n${cardText(cardOf(m))}`;
  const inThread = (parent: string, pred: (t: string, m: Message) => boolean, timeoutMs = 60_000) => h.space.waitForMessage((m) => fromBot(m) && m.parentId === parent && pred(text(m), m), timeoutMs);
  const post = (path: string, token: string, body: unknown) => fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
  const datadog = (transition: 'Triggered' | 'Recovered') =>
    post('/alerts/datadog', DD_TOKEN, {
      source: 'datadog',
      id: `evt-${transition}`,
      alert_id: '4242',
      transition,
      cycle: 'cycle-1',
      title: `[${transition}] Disk usage above 90% on web-1`,
      alert_type: transition === 'Triggered' ? 'error' : 'success',
      scope: 'host:web-1,env:web,device:/dev/loop0',
      hostname: 'web-1',
      tags: 'env:web,host:web-1',
      date: String(Date.now()),
    });

  beforeAll(async () => {
    fs = makeFilesystems();
    logs = join(fs.ext4, 'logs');
    keep = join(fs.ext4, 'keep');
    mkdirSync(logs);
    mkdirSync(keep);
    for (let i = 1; i <= 5; i++) {
      const p = join(logs, `catalina.2026-10-0${i}.log`);
      writeAged(p, 1024 * 1024, 30);
      doomed.set(p, allocated(p));
      writeAged(join(keep, `catalina.2026-10-0${i}.log`), 256 * 1024, 30);
    }
    writeAged(join(logs, 'catalina.out'), 512 * 1024, 30);
    h = await startHarness({ configYaml: configFor, env: { MEDIC_ALERT_TOKEN: AM_TOKEN, DATADOG_ALERT_TOKEN: DD_TOKEN } });
    base = `http://127.0.0.1:${h.medic.port}`;
  });
  afterAll(async () => {
    await h?.stop();
    fs?.cleanup();
  });

  it('diagnoses, asks for the exact plan, cleans up what was approved, and resolves', async () => {
    const outside = manifest(keep);
    expect((await datadog('Triggered')).status).toBe(202);
    const incident = await h.space.waitForMessage((m) => fromBot(m) && !m.parentId && text(m).includes('Disk usage above 90%'));

    // Diagnosis in the incident thread: the mount, what fills it, and the dry-run plan with its button.
    const diagnosis = await inThread(incident.id, (t) => t.includes('Dry-run cleanup plan'));
    expectValidCard({ card: cardOf(diagnosis), text: diagnosis.text ?? '' });
    const planned = [...doomed.values()].reduce((s, b) => s + b, 0);
    expect(text(diagnosis)).toContain(fs.ext4);
    expect(text(diagnosis)).toContain('Rotated logs');
    const button = (cardOf(diagnosis) as { actions: Array<{ title: string; data: { medic: string; text: string } }> }).actions[0]!;
    expect(button.data.text).toBe(`disk cleanup web web-1 ${fs.ext4} plan:rotated-logs=${planned}`);
    for (const p of doomed.keys()) expect(existsSync(p)).toBe(true);

    // The on-call asks for that plan: an approval card showing it, in the same thread.
    await h.space.userSubmitsCard('alice@example.com', diagnosis.id, button.data);
    const approval = await inThread(incident.id, (t) => t.includes('Approval needed'));
    expectValidCard({ card: cardOf(approval), text: approval.text ?? '' });
    expect(text(approval)).toContain(String(planned));
    expect(text(approval)).toContain(logs);
    const approve = (cardOf(approval) as { actions: Array<{ title: string; data: Record<string, string> }> }).actions.find((a) => a.title === 'Approve')!.data;
    await h.space.userSubmitsCard('bob@example.com', approval.id, approve);

    // The cleanup's result: what it freed equals the plan, nothing outside the allow-list changed.
    const result = await inThread(incident.id, (t) => t.includes('Disk cleanup: web-1'));
    expectValidCard({ card: cardOf(result), text: result.text ?? '' });
    const job = (await h.medic.queues.runbooks.getJobs(['completed'])).find((j) => j.data.request.kind === 'disk.cleanup');
    const rv = job?.returnvalue as { freedBytes: number; outcome: string } | undefined;
    expect(rv).toMatchObject({ outcome: 'cleaned', freedBytes: planned });
    for (const p of doomed.keys()) expect(existsSync(p)).toBe(false);
    expect(existsSync(join(logs, 'catalina.out'))).toBe(true);
    expect(manifest(keep)).toEqual(outside);

    // Recovery closes the incident in its thread.
    expect((await datadog('Recovered')).status).toBe(202);
    const resolved = await inThread(incident.id, (t) => /resolved/i.test(t));
    expectValidCard({ card: cardOf(resolved), text: resolved.text ?? '' });
  }, 180_000);

  it('takes an Alertmanager node_filesystem_avail_bytes alert through the same route', async () => {
    const startsAt = new Date().toISOString();
    const res = await post('/alerts/alertmanager', AM_TOKEN, {
      version: '4',
      status: 'firing',
      receiver: 'medic',
      groupKey: '{}:{alertname="NodeFilesystemAlmostFull"}',
      alerts: [
        {
          status: 'firing',
          labels: { alertname: 'NodeFilesystemAlmostFull', env: 'web', instance_id: 'web-1', mountpoint: fs.ext4, severity: 'critical' },
          annotations: { summary: 'filesystem almost full: less than 10% space left' },
          startsAt,
          endsAt: '0001-01-01T00:00:00Z',
          fingerprint: 'disk-am-1',
        },
      ],
    });
    expect(res.status).toBe(202);
    const incident = await h.space.waitForMessage((m) => fromBot(m) && !m.parentId && text(m).includes('NodeFilesystemAlmostFull'));
    const diagnosis = await inThread(incident.id, (t) => t.includes('Dry-run cleanup plan'));
    expectValidCard({ card: cardOf(diagnosis), text: diagnosis.text ?? '' });
    // Everything allowed was already cleaned: the plan is empty and there is no button.
    expect(text(diagnosis)).toContain('Nothing to free within the allow-list right now');
  }, 120_000);
});
