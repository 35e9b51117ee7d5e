import type { AuditEntry } from '../src/core/approval.js';
import { adaptiveCard, clip, mono, plain, text, title, type CardMessage } from './card-kit.js';

export function auditCard(entries: AuditEntry[], env?: string): CardMessage {
  const lines = entries.map((e) => `${new Date(e.at).toISOString().slice(5, 19).replace('T', ' ')} ${e.type.padEnd(18)} ${clip(e.actor, 28).padEnd(28)} ${e.env ?? '-'} ${e.jobId ?? e.approvalId ?? ''} ${clip(e.detail, 80)}`);
  return {
    text: `Audit${env ? ` of ${env}` : ''}: ${entries.length} entries`,
    card: adaptiveCard([
      ...title(`Audit${env ? `: ${env}` : ''}`, `The last ${entries.length} entries, newest first. \`medic audit --since 24h --json\` prints more.`),
      entries.length ? mono(plain(clip(lines.join('\n'), 12_000))) : text('No entries.'),
    ]),
  };
}
