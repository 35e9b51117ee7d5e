import { PermanentError, RateLimitedError } from '../../core/errors.js';
import type { ChatPort, OutgoingMessage } from '../../core/ports.js';

/** Webex REST answered with an error status. */
export class WebexApiError extends Error {
  override readonly name = 'WebexApiError';
  constructor(readonly status: number, message: string, readonly trackingId?: string) {
    super(message);
  }
}

const CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';

/**
 * Posting messages straight to the REST API (not through the SDK) keeps retries in one place: the `replies`
 * queue. 429 → RateLimitedError with Retry-After; other 4xx → PermanentError; 5xx/network → plain Error (retried).
 */
export function createWebexChat(opts: { apiUrl: string; token: string; fetchImpl?: typeof fetch; timeoutMs?: number }): ChatPort {
  const base = opts.apiUrl.replace(/\/+$/, '');
  const doFetch = opts.fetchImpl ?? fetch;
  return {
    async send(message: OutgoingMessage) {
      let body: FormData | string;
      const headers: Record<string, string> = { authorization: `Bearer ${opts.token}` };
      if (message.file) {
        // Webex takes one file per message, as multipart; cards and files cannot share a message.
        const form = new FormData();
        form.set('roomId', message.roomId);
        if (message.parentId) form.set('parentId', message.parentId);
        form.set('markdown', message.text);
        form.set('files', new Blob([message.file.data], { type: message.file.contentType }), message.file.name);
        body = form;
      } else {
        headers['content-type'] = 'application/json';
        body = JSON.stringify({
          roomId: message.roomId,
          ...(message.parentId ? { parentId: message.parentId } : {}),
          markdown: message.text,
          ...(message.card ? { attachments: [{ contentType: CARD_CONTENT_TYPE, content: message.card }] } : {}),
        });
      }
      let res: Response;
      try {
        res = await doFetch(`${base}/messages`, { method: 'POST', headers, body, signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000) });
      } catch (e) {
        throw new Error(`Webex unreachable at ${base}: ${(e as Error).message}`);
      }
      if (res.ok) {
        const json = (await res.json()) as { id: string };
        return { id: json.id };
      }
      const text = await res.text().catch(() => '');
      let detail = text.slice(0, 300);
      let trackingId: string | undefined;
      try {
        const j = JSON.parse(text) as { message?: string; trackingId?: string };
        detail = j.message ?? detail;
        trackingId = j.trackingId;
      } catch {
        // not JSON: keep the raw text
      }
      if (res.status === 429) {
        const retryAfter = Number(res.headers.get('retry-after'));
        throw new RateLimitedError(Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : 5_000);
      }
      if (res.status >= 400 && res.status < 500 && res.status !== 408) {
        throw new PermanentError(`Webex refused the message (${res.status}): ${detail}${trackingId ? ` [trackingId ${trackingId}]` : ''}`);
      }
      throw new WebexApiError(res.status, `Webex error ${res.status}: ${detail}`, trackingId);
    },
  };
}
