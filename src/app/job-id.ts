import { createHash } from 'node:crypto';

/**
 * Runbook job id derived from the source event (Webex message or action id, alert fingerprint), so a redelivered
 * event cannot start a second job. Short enough to type in `job <id>`; BullMQ forbids ':' in custom ids.
 */
export function jobIdFor(sourceId: string, prefix = 'r'): string {
  return `${prefix}-${createHash('sha256').update(sourceId).digest('base64url').replace(/[-_]/g, '').slice(0, 12)}`;
}
