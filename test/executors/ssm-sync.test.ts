import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSsmSync } from '../../src/cli/ssm-sync.js';
import { syncDocuments } from '../../src/executors/ssm-sync.js';
import { fakeSsmClient } from '../support/fake-aws/clients.js';
import { REAL_DOCUMENTS_DIR, TEST_DOCUMENTS_DIR } from '../support/fake-aws/paths.js';
import { startFakeSsm, type FakeSsmServer } from '../support/fake-aws/ssm-server.js';

describe('medic ssm sync', () => {
  let server: FakeSsmServer;
  let ssm: SSMClient;
  let dir: string;

  beforeAll(async () => {
    server = await startFakeSsm();
    ssm = fakeSsmClient(server.endpoint);
    dir = await mkdtemp(join(tmpdir(), 'medic-docs-'));
    await cp(TEST_DOCUMENTS_DIR, dir, { recursive: true });
  });
  afterAll(async () => {
    ssm.destroy();
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('creates, then leaves unchanged, then updates and switches the default version', async () => {
    const first = await syncDocuments(ssm, { documentsDir: dir, prefix: 'T1-' });
    expect(first).toEqual([
      { name: 'T1-Medic-TestOutput', action: 'created', version: '1' },
      { name: 'T1-Medic-TestSleep', action: 'created', version: '1' },
    ]);
    server.resetCalls();
    const second = await syncDocuments(ssm, { documentsDir: dir, prefix: 'T1-' });
    expect(second.map((r) => r.action)).toEqual(['unchanged', 'unchanged']);
    // Unchanged costs one DescribeDocument per document and writes nothing.
    expect([...server.calls.keys()]).toEqual(['DescribeDocument']);

    const file = join(dir, 'Medic-TestSleep.yaml');
    await writeFile(file, (await readFile(file, 'utf8')).replace('echo done', 'echo finished'));
    const third = await syncDocuments(ssm, { documentsDir: dir, prefix: 'T1-' });
    expect(third).toEqual([
      { name: 'T1-Medic-TestOutput', action: 'unchanged', version: '1' },
      { name: 'T1-Medic-TestSleep', action: 'updated', version: '2' },
    ]);
    expect(server.documents.get('T1-Medic-TestSleep')!.defaultVersion).toBe(2);
    expect((await syncDocuments(ssm, { documentsDir: dir, prefix: 'T1-' })).map((r) => r.action)).toEqual(['unchanged', 'unchanged']);
  });

  it('finishes an interrupted update by switching the default to the latest version', async () => {
    await syncDocuments(ssm, { documentsDir: dir, prefix: 'T2-' });
    const stored = server.documents.get('T2-Medic-TestOutput')!;
    // As if a previous sync uploaded version 2 and died before UpdateDocumentDefaultVersion.
    stored.versions.push({ ...stored.versions[0]!, content: `${stored.versions[0]!.content}# v2\n`, hash: 'x' });
    const file = join(dir, 'Medic-TestOutput.yaml');
    const original = await readFile(file, 'utf8');
    await writeFile(file, `${original}# v2\n`);
    try {
      server.resetCalls();
      const r = await syncDocuments(ssm, { documentsDir: dir, prefix: 'T2-' });
      expect(r[0]).toEqual({ name: 'T2-Medic-TestOutput', action: 'updated', version: '2' });
      expect(server.calls.get('UpdateDocument')).toBeUndefined();
      expect(stored.defaultVersion).toBe(2);
    } finally {
      await writeFile(file, original);
    }
  });

  it('refuses a document that breaks Medic’s policy before touching SSM', async () => {
    const bad = await mkdtemp(join(tmpdir(), 'medic-bad-docs-'));
    try {
      await writeFile(join(bad, 'Medic-Bad.yaml'), 'schemaVersion: "2.2"\nparameters:\n  X: {type: String}\nmainSteps:\n  - action: aws:runShellScript\n    name: s\n    inputs:\n      runCommand: ["echo {{X}}"]\n');
      server.resetCalls();
      await expect(syncDocuments(ssm, { documentsDir: bad })).rejects.toThrow(/needs interpolationType: ENV_VAR.*\{\{ \}\} interpolation/);
      expect(server.totalCalls()).toBe(0);
    } finally {
      await rm(bad, { recursive: true, force: true });
    }
  });

  it('the CLI builds its client from the AWS environment and prints what changed', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, { AWS_ENDPOINT_URL_SSM: server.endpoint, AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'AKIDTEST', AWS_SECRET_ACCESS_KEY: 'x' });
    delete process.env.AWS_PROFILE;
    try {
      const out: string[] = [];
      const err: string[] = [];
      const io = { stdout: (s: string) => out.push(s), stderr: (s: string) => err.push(s) };
      // Every shipped document, whatever their number: each created once, then unchanged.
      const names = (await readdir(REAL_DOCUMENTS_DIR)).filter((f) => /\.ya?ml$/.test(f)).map((f) => f.replace(/\.ya?ml$/, '')).sort();
      const n = names.length;
      const plural = n === 1 ? 'document' : 'documents';
      expect(await runSsmSync([], io)).toBe(0);
      expect(out.join('')).toBe(`${names.map((d) => `created   ${d} (default version 1)\n`).join('')}${n} ${plural} in eu-west-1, ${n} changed.\n`);
      out.length = 0;
      expect(await runSsmSync([], io)).toBe(0);
      expect(out.join('')).toBe(`${names.map((d) => `unchanged ${d} (default version 1)\n`).join('')}${n} ${plural} in eu-west-1, 0 changed.\n`);
      expect(await runSsmSync(['--bogus'], io)).toBe(1);
      expect(err.join('')).toMatch(/unknown option --bogus/);
      expect(server.documents.get('Medic-HealthCheck')!.versions[0]!.content).toBe(await readFile(join(REAL_DOCUMENTS_DIR, 'Medic-HealthCheck.yaml'), 'utf8'));
    } finally {
      process.env = saved;
    }
  });
});
