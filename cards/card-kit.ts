/**
 * Small typed vocabulary for Adaptive Cards 1.3 (the version Webex renders). Every builder in `cards/` composes
 * these, so a card is plain JSON that tests validate with Microsoft's `adaptivecards` parser.
 */

export const CARD_SCHEMA = 'http://adaptivecards.io/schemas/adaptive-card.json';
/** Webex refuses message text over 7,439 bytes; we keep fallback text under it. */
export const WEBEX_MAX_TEXT_BYTES = 7439;
/** Budget for one card's JSON. Webex rejects very large attachments; we stay well under its limit. */
export const WEBEX_MAX_CARD_BYTES = 22_000;

export type CardElement = { type: string; [key: string]: unknown };
export type CardAction = { type: 'Action.Submit' | 'Action.OpenUrl' | 'Action.ShowCard'; title: string; [key: string]: unknown };

export interface AdaptiveCard {
  type: 'AdaptiveCard';
  $schema: string;
  version: '1.3';
  body: CardElement[];
  actions?: CardAction[];
}

/** A card plus the text Webex shows where cards cannot render (notifications, old clients). */
export interface CardMessage {
  card: AdaptiveCard;
  text: string;
}

export type Severity = 'ok' | 'info' | 'warn' | 'critical';

const SEVERITY_COLOR: Record<Severity, string> = { ok: 'Good', info: 'Default', warn: 'Warning', critical: 'Attention' };
const SEVERITY_ICON: Record<Severity, string> = { ok: '✅', info: 'ℹ️', warn: '⚠️', critical: '🛑' };

export function adaptiveCard(body: CardElement[], actions: CardAction[] = []): AdaptiveCard {
  const c: AdaptiveCard = { type: 'AdaptiveCard', $schema: CARD_SCHEMA, version: '1.3', body };
  if (actions.length > 0) c.actions = actions;
  return c;
}

export function title(text: string, subtitle?: string): CardElement[] {
  const out: CardElement[] = [{ type: 'TextBlock', text, size: 'Large', weight: 'Bolder', wrap: true }];
  if (subtitle) out.push({ type: 'TextBlock', text: subtitle, isSubtle: true, spacing: 'None', wrap: true });
  return out;
}

export function text(value: string, opts: Record<string, unknown> = {}): CardElement {
  return { type: 'TextBlock', text: value, wrap: true, ...opts };
}

export function heading(value: string): CardElement {
  return { type: 'TextBlock', text: value, weight: 'Bolder', spacing: 'Medium', wrap: true };
}

/** Monospace block for stack frames and commands. */
export function mono(value: string): CardElement {
  return { type: 'TextBlock', text: value, fontType: 'Monospace', wrap: true, size: 'Small' };
}

export function facts(pairs: Array<[string, string]>): CardElement {
  return { type: 'FactSet', facts: pairs.map(([t, v]) => ({ title: t, value: v })) };
}

export function severityLine(severity: Severity, value: string): CardElement {
  return { type: 'TextBlock', text: `${SEVERITY_ICON[severity]} ${value}`, color: SEVERITY_COLOR[severity], wrap: true };
}

export function severityIcon(severity: Severity): string {
  return SEVERITY_ICON[severity];
}

/**
 * A simple table (Table is 1.5, which Webex does not render): one ColumnSet per row, every row with the same
 * relative column widths, so a cell that wraps makes its own row taller and never shifts the rows below it out of
 * line (one Column per table column, each holding that column's cells, did). `auto` and `stretch` become weights
 * from the longest text in the column (`stretch` at least 10), the same for every row.
 */
export function table(headers: string[], rows: string[][], widths?: Array<number | 'auto' | 'stretch'>): CardElement {
  const weights = headers.map((h, i) => {
    const w = widths?.[i] ?? (i === 0 ? 'stretch' : 'auto');
    if (typeof w === 'number') return w;
    const longest = Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length));
    return Math.min(w === 'stretch' ? 60 : 40, Math.max(w === 'stretch' ? 10 : 3, longest));
  });
  const row = (cells: string[], header: boolean): CardElement => ({
    type: 'ColumnSet',
    spacing: header ? 'Default' : 'Small',
    ...(header ? {} : { separator: true }),
    columns: weights.map((width, i) => ({
      type: 'Column',
      width,
      items: [{ type: 'TextBlock', text: cells[i] ?? '', wrap: true, size: 'Small', ...(header ? { weight: 'Bolder' } : {}) }],
    })),
  });
  return { type: 'Container', items: [row(headers, true), ...rows.map((r) => row(r, false))] };
}

/** A button that posts `data` back to Medic as an attachment action. */
export function submit(titleText: string, data: Record<string, unknown>, style?: 'positive' | 'destructive'): CardAction {
  const a: CardAction = { type: 'Action.Submit', title: titleText, data };
  if (style) a.style = style;
  return a;
}

export function openUrl(titleText: string, url: string): CardAction {
  return { type: 'Action.OpenUrl', title: titleText, url };
}

/** Truncate for display, marking the cut. */
export function clip(value: string, max: number): string {
  return value.length <= max ? value : `${value.slice(0, Math.max(0, max - 1))}…`;
}

/** Escape characters Webex's card markdown would interpret inside user-supplied text. */
export function plain(value: string): string {
  return value.replace(/([*_`~\[\]])/g, '\\$1');
}

/** Clip a fallback text to Webex's message limit (bytes, not characters). */
export function fallbackText(value: string): string {
  const buf = Buffer.from(value, 'utf8');
  if (buf.length <= WEBEX_MAX_TEXT_BYTES) return value;
  return `${buf.subarray(0, WEBEX_MAX_TEXT_BYTES - 8).toString('utf8').replace(/\uFFFD+$/, '')} …`;
}
