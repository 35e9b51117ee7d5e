import { pino, type LoggerOptions } from 'pino';
import type { Logger } from './core/ports.js';

/** JSON logs on stdout (pino). Secrets are redacted by key wherever they appear. */
export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info', opts: LoggerOptions = {}): Logger {
  return pino({
    level,
    base: { service: 'medic', pid: process.pid },
    redact: { paths: ['*.token', '*.secret', '*.password', '*.authorization', 'token', 'secret', 'password', 'authorization', 'headers.authorization'], censor: '[redacted]' },
    ...opts,
  }) as unknown as Logger;
}
