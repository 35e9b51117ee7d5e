import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';

function capture(): { stream: Writable; lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString('utf8'));
      cb();
    },
  });
  return { stream, lines: () => chunks.join('').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('the logger', () => {
  it('masks secrets under secret-looking keys at any depth, in errors and in child bindings', () => {
    const out = capture();
    const log = createLogger('info', {}, out.stream);
    const err = Object.assign(new Error('upstream said no'), { config: { headers: { Authorization: 'Bearer abc.def.ghi' } } });
    log.info({ request: { headers: { authorization: 'Basic dXNlcjpodW50ZXIy' }, body: { user: { password: 'hunter2', name: 'alice' } } }, deep: { a: { b: { c: { apiToken: 'tok-123' } } } }, hasAuth: true }, 'nested');
    log.warn({ err, db: { url: 'postgres://app:url-secret@db:5432/app', note: 'retrying with password=note-secret' } }, 'failed');
    log.child({ db: { password: 'child-secret', host: 'db1' } }).info({ token: 'top-level' }, 'child');
    const text = JSON.stringify(out.lines());
    for (const secret of ['dXNlcjpodW50ZXIy', 'hunter2', 'url-secret', 'note-secret', 'tok-123', 'abc.def.ghi', 'child-secret', 'top-level']) expect(text).not.toContain(secret);
    const [nested, failed, child] = out.lines();
    expect(nested).toMatchObject({ msg: 'nested', hasAuth: true, request: { body: { user: { name: 'alice', password: '••••' } }, headers: { authorization: '••••' } } });
    expect(failed).toMatchObject({ msg: 'failed', err: { type: 'Error', message: 'upstream said no', config: { headers: { Authorization: '••••' } } } });
    expect((failed.err as { stack: string }).stack).toContain('upstream said no');
    expect(failed.db).toEqual({ url: 'postgres://app:••••@db:5432/app', note: 'retrying with password=••••' });
    expect(child).toMatchObject({ msg: 'child', db: { host: 'db1', password: '••••' }, token: '••••' });
  });
});
