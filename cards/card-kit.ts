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

const ASCII_PUNCT = /[!-/:-@[-`{-~]/;
const WHITESPACE = /\s/u;
const PUNCT = /[\p{P}\p{S}]/u;

/**
 * Text from the world (class names, thread names, SQL, alert titles) made safe for a TextBlock or a FactSet, whose
 * markdown is the Adaptive Cards subset of CommonMark: **bold**, _italic_, lists and [links](url). Only what
 * would actually render is escaped, with CommonMark backslash escapes, so ordinary values read exactly as they
 * are: `TIMED_WAITING`, `pg_stat_statements`, `java.lang.Object[]`, `select count(*) from t` need no escape
 * (an intraword `_`, brackets without `(url)`, a lone `*` render as themselves). Escaped: a `*`/`_` delimiter
 * run when the text holds an opener and a later closer of that character (CommonMark's flanking rules), `[` that
 * starts `[text](`, a list marker at the start of a line, and a backslash before punctuation.
 */
export function plain(value: string): string {
  const esc = new Set<number>();
  for (let i = 0; i < value.length - 1; i++) if (value[i] === '\\' && ASCII_PUNCT.test(value[i + 1]!)) esc.add(i);
  for (const m of value.matchAll(/^( {0,3})([-+*]|\d{1,9}[.)])(?=[ \t]|$)/gm)) esc.add(m.index + m[1]!.length + m[2]!.length - 1);
  for (const m of value.matchAll(/!?\[(?=[^\]\n]*\]\()/g)) esc.add(m.index + m[0].length - 1);
  for (const ch of ['*', '_']) {
    const runs: Array<{ start: number; end: number; open: boolean; close: boolean }> = [];
    for (let i = 0; i < value.length; ) {
      // A backslash before it in the value is itself escaped above, so every unescaped `*`/`_` is a delimiter.
      if (value[i] !== ch || esc.has(i)) {
        i++;
        continue;
      }
      let j = i;
      while (j < value.length && value[j] === ch) j++;
      const before = i > 0 ? value[i - 1]! : ' ';
      const after = j < value.length ? value[j]! : ' ';
      const ws = (c: string): boolean => WHITESPACE.test(c);
      const pu = (c: string): boolean => PUNCT.test(c);
      const left = !ws(after) && (!pu(after) || ws(before) || pu(before));
      const right = !ws(before) && (!pu(before) || ws(after) || pu(after));
      const open = ch === '*' ? left : left && (!right || pu(before));
      const close = ch === '*' ? right : right && (!left || pu(after));
      if (open || close) runs.push({ start: i, end: j, open, close });
      i = j;
    }
    const firstOpen = runs.findIndex((r) => r.open);
    if (firstOpen < 0 || !runs.slice(firstOpen + 1).some((r) => r.close)) continue;
    for (const r of runs) for (let k = r.start; k < r.end; k++) esc.add(k);
  }
  if (esc.size === 0) return value;
  let out = '';
  for (let i = 0; i < value.length; i++) out += esc.has(i) ? `\\${value[i]}` : value[i];
  return out;
}

/** Clip a fallback text to Webex's message limit (bytes, not characters). */
export function fallbackText(value: string): string {
  const buf = Buffer.from(value, 'utf8');
  if (buf.length <= WEBEX_MAX_TEXT_BYTES) return value;
  return `${buf.subarray(0, WEBEX_MAX_TEXT_BYTES - 8).toString('utf8').replace(/\uFFFD+$/, '')} …`;
}
