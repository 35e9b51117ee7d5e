import { pino, type LoggerOptions } from 'pino';
import type { Logger } from './core/ports.js';
import { isSecretName, MASK, maskText } from './core/secrets.js';

const MAX_DEPTH = 10;

/**
 * A copy of what is about to be logged with every value under a secret-looking key masked, at any depth
 * (`config.db.password`, `headers.authorization`, `err.config.headers.Authorization`). pino's `redact` only takes
 * fixed paths with one-level wildcards, so a nested secret under a key nobody listed would slip through it.
 * String values are masked where they look secret on their own. Numbers and booleans stay (`hasAuth: true` tells nothing); errors keep their prototype so pino's error
 * serializer still recognises them.
 */
export function redactSecrets<T>(value: T, depth = 0, seen = new WeakSet<object>()): T {
  // Strings are masked where they look secret themselves (URL credentials, JWTs, `password=…` in a message).
  if (typeof value === 'string') return maskText(value) as T;
  if (!value || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH || seen.has(value)) return value;
  seen.add(value);
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v, depth + 1, seen)) as T;
  const proto = Object.getPrototypeOf(value) as object | null;
  const isError = value instanceof Error;
  if (proto !== Object.prototype && proto !== null && !isError) return value; // Buffers, Dates, Maps: as pino prints them
  const out = Object.create(proto) as Record<string, unknown>;
  const src = value as Record<string, unknown>;
  for (const k of isError ? Object.getOwnPropertyNames(value) : Object.keys(value)) {
    const v = src[k];
    const secret = isSecretName(k) && v !== null && v !== undefined && typeof v !== 'number' && typeof v !== 'boolean';
    const copy = secret ? MASK : redactSecrets(v, depth + 1, seen);
    if (isError) Object.defineProperty(out, k, { value: copy, enumerable: Object.prototype.propertyIsEnumerable.call(value, k), writable: true, configurable: true });
    else out[k] = copy;
  }
  return out as T;
}

/** JSON logs on stdout (pino). Secrets are masked by key wherever they appear, at any depth, and in child bindings. */
export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info', opts: LoggerOptions = {}, destination?: pino.DestinationStream): Logger {
  const options: LoggerOptions = {
    level,
    base: { service: 'medic', pid: process.pid },
    ...opts,
    formatters: {
      ...opts.formatters,
      log: (obj) => redactSecrets(opts.formatters?.log ? opts.formatters.log(obj) : obj),
      bindings: (b) => redactSecrets(opts.formatters?.bindings ? opts.formatters.bindings(b) : b),
    },
  };
  const root = destination ? pino(options, destination) : pino(options);
  // pino formats a child's own bindings without the `bindings` formatter: mask them on the way in. Children are
  // created from their parent's prototype chain, so every descendant inherits this `child`.
  const child = root.child;
  root.child = function maskedChild(this: typeof root, bindings, childOpts) {
    return child.call(this, redactSecrets(bindings), childOpts);
  } as typeof root.child;
  return root as unknown as Logger;
}
