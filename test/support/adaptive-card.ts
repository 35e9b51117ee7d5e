import { createRequire } from 'node:module';
import { expect } from 'vitest';
import { WEBEX_MAX_CARD_BYTES, WEBEX_MAX_TEXT_BYTES, type CardMessage } from '../../cards/card-kit.js';

// The package's ESM entry has extensionless imports Node cannot resolve; its UMD build loads fine without a DOM.
const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-require-imports
const AC = require('adaptivecards/dist/adaptivecards.js');

/** Problems Microsoft's renderer reports for this card when parsed as Adaptive Cards 1.3 (what Webex renders). */
export function cardProblems(card: unknown): string[] {
  const ctx = new AC.SerializationContext(AC.Versions.v1_3);
  const parsed = new AC.AdaptiveCard();
  parsed.parse(card, ctx);
  const problems: string[] = [];
  for (let i = 0; i < ctx.eventCount; i++) problems.push(ctx.getEventAt(i).message);
  for (const e of parsed.validateProperties().validationEvents) problems.push(e.message);
  const c = card as { version?: string; type?: string };
  if (c.type !== 'AdaptiveCard') problems.push(`type is ${String(c.type)}, not AdaptiveCard`);
  if (c.version !== '1.3') problems.push(`version is ${String(c.version)}, Webex renders 1.3`);
  const bytes = Buffer.byteLength(JSON.stringify(card));
  if (bytes > WEBEX_MAX_CARD_BYTES) problems.push(`card is ${bytes} bytes, over ${WEBEX_MAX_CARD_BYTES}`);
  return problems;
}

/** Fails the test when the card is not valid Adaptive Cards 1.3 or breaks Webex's message limits. */
export function expectValidCard(message: CardMessage | unknown): void {
  const m = message as Partial<CardMessage>;
  const card = m && typeof m === 'object' && 'card' in m ? m.card : message;
  expect(cardProblems(card)).toEqual([]);
  if (m && typeof m === 'object' && 'text' in m) {
    expect(typeof m.text).toBe('string');
    expect(Buffer.byteLength(m.text ?? '')).toBeLessThanOrEqual(WEBEX_MAX_TEXT_BYTES);
  }
}

/** All TextBlock texts and FactSet values of a card, flattened, for assertions on what a person reads. */
export function cardText(card: unknown): string {
  const out: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== 'object') return;
    const n = node as Record<string, unknown>;
    if (n.type === 'TextBlock' && typeof n.text === 'string') out.push(n.text);
    if (n.type === 'FactSet' && Array.isArray(n.facts)) for (const f of n.facts as Array<{ title: string; value: string }>) out.push(`${f.title}: ${f.value}`);
    if (typeof n.title === 'string' && String(n.type ?? '').startsWith('Action.')) out.push(`[${n.title}]`);
    for (const v of Object.values(n)) if (v && typeof v === 'object') walk(v);
  };
  walk(card);
  return out.join('\n');
}
