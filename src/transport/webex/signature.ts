import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Webex signs each webhook delivery with `X-Spark-Signature`: hex HMAC-SHA1 of the raw request bytes, keyed by
 * the webhook's secret. Checked over the exact bytes received (re-serialised JSON can differ) in constant time.
 */
export function isValidWebexSignature(rawBody: Buffer, signature: string | undefined, secret: string): boolean {
  if (!signature || !/^[0-9a-f]{40}$/i.test(signature)) return false;
  const expected = createHmac('sha1', secret).update(rawBody).digest();
  const given = Buffer.from(signature, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export class InvalidSignatureError extends Error {
  override readonly name = 'InvalidSignatureError';
}

/** Throwing variant for call sites that prefer an exception. */
export function verifyWebexSignature(rawBody: Buffer, signature: string | undefined, secret: string): void {
  if (!signature) throw new InvalidSignatureError('missing X-Spark-Signature header');
  if (!isValidWebexSignature(rawBody, signature, secret)) throw new InvalidSignatureError('X-Spark-Signature does not match the body');
}
