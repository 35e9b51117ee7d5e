import { createVerify, X509Certificate } from 'node:crypto';
import { z } from 'zod';

/**
 * Amazon SNS HTTPS subscriptions: envelope schema, the canonical string SNS signs, and a verifier that fetches
 * signing certificates only from `https://sns.<region>.amazonaws.com/...pem` of the configured regions
 * (the host check is what makes the signature mean anything: anyone can sign with their own certificate).
 */

export const SnsEnvelopeSchema = z.looseObject({
  Type: z.enum(['Notification', 'SubscriptionConfirmation', 'UnsubscribeConfirmation']),
  MessageId: z.string().min(1).max(200),
  TopicArn: z.string().startsWith('arn:'),
  Subject: z.string().nullable().optional(),
  Message: z.string(),
  Timestamp: z.string().min(1),
  SignatureVersion: z.enum(['1', '2'], { message: 'SignatureVersion must be "1" (SHA1withRSA) or "2" (SHA256withRSA)' }),
  Signature: z.string().min(1),
  SigningCertURL: z.string().min(1),
  SubscribeURL: z.string().optional(),
  UnsubscribeURL: z.string().optional(),
  Token: z.string().optional(),
});
export type SnsEnvelope = z.infer<typeof SnsEnvelopeSchema>;

export class SnsRejected extends Error {
  override readonly name = 'SnsRejected';
}

/** The string SNS signs: `Key\nValue\n` for these keys, in this order, skipping absent optional ones. */
export function snsCanonicalString(m: SnsEnvelope): string {
  const keys =
    m.Type === 'Notification'
      ? ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type']
      : ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];
  const rec = m as Record<string, unknown>;
  let out = '';
  for (const k of keys) {
    const v = rec[k];
    if (v === undefined || v === null) continue;
    out += `${k}\n${String(v)}\n`;
  }
  return out;
}

/** True when `url` is https on the SNS endpoint of one of `regions` (China regions use amazonaws.com.cn). */
export function isSnsHost(url: string, regions: readonly string[]): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.protocol !== 'https:' || u.port !== '' || u.username || u.password) return false;
  return regions.some((r) => u.hostname === `sns.${r}.amazonaws.com${r.startsWith('cn-') ? '.cn' : ''}`);
}

export interface SnsVerifierOptions {
  regions: readonly string[];
  fetcher: (url: string) => Promise<{ status: number; body: string }>;
  now: () => number;
  maxCerts?: number;
}

export interface SnsVerifier {
  /** Throws SnsRejected (with the reason) unless the message is signed by SNS of a configured region. */
  verify(m: SnsEnvelope): Promise<void>;
}

export function createSnsVerifier(opts: SnsVerifierOptions): SnsVerifier {
  // Promise cache: concurrent first messages share one fetch; a failed fetch is forgotten so it can be retried.
  const certs = new Map<string, Promise<X509Certificate>>();
  const maxCerts = opts.maxCerts ?? 16;
  function cert(url: string): Promise<X509Certificate> {
    let p = certs.get(url);
    if (!p) {
      p = (async () => {
        const r = await opts.fetcher(url);
        if (r.status !== 200) throw new SnsRejected(`signing certificate ${url} answered ${r.status}`);
        try {
          return new X509Certificate(r.body);
        } catch {
          throw new SnsRejected(`signing certificate ${url} is not a PEM certificate`);
        }
      })();
      p.catch(() => certs.delete(url));
      if (certs.size >= maxCerts) certs.delete(certs.keys().next().value!);
      certs.set(url, p);
    }
    return p;
  }
  return {
    async verify(m) {
      const url = m.SigningCertURL;
      if (!isSnsHost(url, opts.regions) || !new URL(url).pathname.endsWith('.pem')) {
        throw new SnsRejected(`SigningCertURL ${url.slice(0, 200)} is not an SNS certificate of the configured regions (${opts.regions.join(', ')})`);
      }
      const c = await cert(url);
      const now = opts.now();
      if (Date.parse(c.validFrom) > now || Date.parse(c.validTo) < now) throw new SnsRejected('the SNS signing certificate is expired or not yet valid');
      const ok = createVerify(m.SignatureVersion === '1' ? 'RSA-SHA1' : 'RSA-SHA256')
        .update(snsCanonicalString(m), 'utf8')
        .verify(c.publicKey, m.Signature, 'base64');
      if (!ok) throw new SnsRejected('the SNS signature does not match the message');
    },
  };
}
