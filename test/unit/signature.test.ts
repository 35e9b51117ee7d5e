import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isValidWebexSignature, verifyWebexSignature, InvalidSignatureError } from '../../src/transport/webex/signature.js';

const secret = 'a-long-webhook-secret-value';
const body = Buffer.from('{"id":"Y2lz","resource":"messages","data":{"id":"abc"}}');
const sign = (b: Buffer, s = secret) => createHmac('sha1', s).update(b).digest('hex');

describe('Webex webhook signatures', () => {
  it('accepts the HMAC-SHA1 of the exact bytes', () => {
    expect(isValidWebexSignature(body, sign(body), secret)).toBe(true);
    expect(isValidWebexSignature(body, sign(body).toUpperCase(), secret)).toBe(true);
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['not hex', 'z'.repeat(40)],
    ['too short', sign(body).slice(0, 38)],
    ['another secret', sign(body, 'other-secret')],
    ['another body', sign(Buffer.from(`${body.toString()} `))],
  ])('refuses a %s signature', (_what, sig) => {
    expect(isValidWebexSignature(body, sig, secret)).toBe(false);
  });

  it('checks raw bytes, so re-serialised JSON with the same meaning does not pass', () => {
    const pretty = Buffer.from(JSON.stringify(JSON.parse(body.toString()), null, 2));
    expect(isValidWebexSignature(pretty, sign(body), secret)).toBe(false);
  });

  it('throws a typed error in the throwing variant', () => {
    expect(() => verifyWebexSignature(body, undefined, secret)).toThrow(InvalidSignatureError);
    expect(() => verifyWebexSignature(body, sign(body), secret)).not.toThrow();
  });
});
