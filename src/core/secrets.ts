/**
 * Secret masking: the one place that decides what looks like a secret. Heap reports, health readings and
 * anything else Medic reads out of a JVM or a host go through here before they reach a card, a JSON report, a
 * log line or a job result in Redis (BullMQ keeps job data and results in clear). Pure: strings in, strings out.
 *
 * Two tests: a *name* that looks like a secret (`db.password`, `API_KEY`, `--auth-token`) masks its value, and a
 * *value* that looks like a secret on its own (a JWT, a PEM block, `password=…`, URL credentials) is masked
 * wherever it appears.
 */

/** What a masked value is replaced with. */
export const MASK = '••••';

/** Name fragments that mark a secret, case-insensitive. `key` also covers `apikey`, `api_key`, `privateKey`. */
const SECRET_NAME = /password|passwd|pwd|secret|token|credential|apikey|api[-_.]key|private|auth|key/i;

/** True when a property, flag, header or variable name looks like it holds a secret. */
export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

// A value token on a command line: a quoted string or a run of non-blanks.
const VALUE = String.raw`(?:"[^"]*"|'[^']*'|[^\s"']+)`;
const NAMES = String.raw`[\w.\-]*?(?:password|passwd|pwd|secret|token|credential|apikey|api[-_.]key|private|auth|key)[\w.\-]*`;
// `jdbc:…;password=x;`, `?token=x&…`: a parameter of a URL or connection string ends at the next separator.
const URL_PARAM = new RegExp(String.raw`([?&;])(${NAMES})(=)([^&;\s#"']*)`, 'gi');
// `-Dfoo.password=x`, `--db-token=x`, `PASSWORD=x`, `token: x`: a name, then `=` or `:`, then a value to the next blank.
const NAMED_VALUE = new RegExp(String.raw`((?:^|[\s,(\[{])(?:-{1,2}|-D|-XX:)?)([\w.\-]*?(?:password|passwd|pwd|secret|token|credential|apikey|api[-_.]key|private|auth|key)[\w.\-]*)(\s*[=:]\s*)(${VALUE})`, 'gi');
// `--password x`, `-password x` (a flag, a blank, then its value).
const FLAG_THEN_VALUE = new RegExp(String.raw`((?:^|\s)--?)([\w.\-]*?(?:password|passwd|pwd|secret|token|credential|apikey|api[-_.]key|private|auth)[\w.\-]*)(\s+)(?!-)(${VALUE})`, 'gi');
const JWT = /\beyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]{5,}\b/g;
const PEM = /-----BEGIN [A-Z0-9 ]*-----[\s\S]*?(?:-----END [A-Z0-9 ]*-----|$)/g;
// scheme://user:password@host
const URL_CREDENTIALS = /(\b[a-z][\w+.-]*:\/\/[^\s:/@]+:)([^\s@/]+)(@)/gi;
const BEARER = /\b(Bearer|Basic)(\s+)([\w.~+/=-]{8,})/g;
// AWS access key ids (AKIA…/ASIA…) and their 40-character secrets next to them are both secrets.
const AWS_KEY_ID = /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g;

/**
 * Masks every secret-looking part of a free text: `name=value` pairs whose name looks secret (system properties
 * on a command line, JDBC URLs, query strings), `--password value`, JWTs, PEM blocks, URL credentials, bearer
 * tokens and AWS key ids. The rest of the text stays as it was, so a command line still reads as one.
 */
export function maskText(text: string): string {
  if (!text) return text;
  return text
    .replace(PEM, MASK)
    .replace(JWT, MASK)
    .replace(URL_CREDENTIALS, `$1${MASK}$3`)
    .replace(BEARER, `$1$2${MASK}`)
    .replace(AWS_KEY_ID, MASK)
    .replace(URL_PARAM, (_m, lead: string, name: string, sep: string, value: string) => `${lead}${name}${sep}${value ? MASK : ''}`)
    .replace(NAMED_VALUE, (_m, lead: string, name: string, sep: string) => `${lead}${name}${sep}${MASK}`)
    .replace(FLAG_THEN_VALUE, (_m, lead: string, name: string, sep: string) => `${lead}${name}${sep}${MASK}`);
}

/** The value of one named setting: masked whole when the name looks secret, else masked where it looks secret. */
export function maskValue(name: string, value: string): string {
  if (isSecretName(name)) return value === '' ? value : MASK;
  return maskText(value);
}

/** A copy of a name → value record (system properties, environment) with secrets masked. */
export function maskRecord(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, maskValue(k, v)]));
}

/** True when the text holds something `maskText` would mask. */
export function looksSecret(text: string): boolean {
  return maskText(text) !== text;
}
