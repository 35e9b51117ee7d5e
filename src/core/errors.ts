/**
 * A failure the person who asked can fix: shown in chat as it is, with a hint of what to type instead.
 * Anything else thrown is internal: logged with a reference id, and the person sees only that id.
 */
export class UserError extends Error {
  override readonly name = 'UserError';
  constructor(
    message: string,
    /** What to do instead, e.g. "Try `help jvm threads`." */
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** Refused by policy (role, space restriction). Carries who could do it instead. */
export class PermissionError extends UserError {
  override readonly name = 'PermissionError' as 'UserError';
  constructor(
    message: string,
    /** People (or patterns) who hold the role needed. */
    readonly holders: string[],
  ) {
    super(message, holders.length ? `People who can: ${holders.slice(0, 8).join(', ')}.` : 'Nobody holds that role yet: ask an admin to update `access:` in the config.');
  }
}

export function isUserError(e: unknown): e is UserError {
  return e instanceof UserError;
}

/** Short reference id for internal errors, printed in chat and in the log line so the two can be matched. */
export function errorRef(): string {
  return Math.random().toString(36).slice(2, 8).toUpperCase();
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The chat platform asked us to slow down; retry after `retryAfterMs`. */
export class RateLimitedError extends Error {
  override readonly name = 'RateLimitedError';
  constructor(readonly retryAfterMs: number, message = `rate limited; retry after ${retryAfterMs} ms`) {
    super(message);
  }
}

/** The platform refused the request for good (4xx other than 429): retrying cannot help. */
export class PermanentError extends Error {
  override readonly name = 'PermanentError';
}

/** A job failure that retrying cannot fix (already reported to the person). */
export class NonRetryableError extends Error {
  override readonly name = 'NonRetryableError';
}

/**
 * The abort reason of a job handed back to its queue at shutdown (the drain's grace ran out). Its run ends without
 * a card or a failure: another worker runs it again from the start and reports that run.
 */
export class JobRequeuedError extends Error {
  override readonly name = 'JobRequeuedError';
}

/** True when `signal` was aborted because the job went back to the queue (see JobRequeuedError). */
export function wasRequeued(signal: AbortSignal): boolean {
  return signal.aborted && signal.reason instanceof JobRequeuedError;
}
