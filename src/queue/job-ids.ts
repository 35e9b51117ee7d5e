import { createHash } from 'node:crypto';

/**
 * Deterministic job ids derived from the source event, so a redelivered webhook maps to the same job and BullMQ
 * refuses the duplicate. Short enough to type in `job <id>`. BullMQ forbids ':' in custom ids.
 */
export function jobIdFor(prefix: 'm' | 'a' | 'r' | 'p' | 'x', sourceId: string): string {
  const h = createHash('sha256').update(sourceId).digest('base64url').replace(/[-_]/g, '').slice(0, 12);
  return `${prefix}-${h}`;
}
