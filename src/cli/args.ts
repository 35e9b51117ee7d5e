import { parseArgs } from 'node:util';

export interface CliIo {
  stdout(s: string): void;
  stderr(s: string): void;
}

/** Exit code of every CLI usage error (bad or unknown option, missing argument): the same as a user error. */
export const USAGE_EXIT = 1;

type OptionSpec = { type: 'string' | 'boolean'; short?: string; multiple?: boolean };

/** A wrong command line: the message says what was wrong; the caller prints it with the usage. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

type Values<O extends Record<string, OptionSpec>> = {
  [K in keyof O]?: O[K]['type'] extends 'string' ? (O[K]['multiple'] extends true ? string[] : string) : O[K]['multiple'] extends true ? boolean[] : boolean;
};

/**
 * `node:util` parseArgs in strict mode, plus `--help`/`-h` on every command. Its errors become a UsageError with a
 * short message (`unknown option --x`, `--top needs a file: …`); `needs` words what a string option's value is.
 */
export function parseCliArgs<O extends Record<string, OptionSpec>>(
  args: string[],
  options: O,
  opts: { positionals?: boolean; needs?: Partial<Record<keyof O, string>> } = {},
): { values: Values<O> & { help?: boolean }; positionals: string[] } {
  try {
    const parsed = parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: opts.positionals ?? true, strict: true });
    return parsed as unknown as { values: Values<O> & { help?: boolean }; positionals: string[] };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    if (!code.startsWith('ERR_PARSE_ARGS')) throw e;
    // Node's messages quote the option ('--top', "-x"), sometimes with its value placeholder: keep the name.
    const quoted = /['"](-{1,2}[^'" ]+)/.exec((e as Error).message)?.[1];
    const positional = /argument '([^']*)'/.exec((e as Error).message)?.[1];
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new UsageError(`unknown option ${quoted ?? (e as Error).message}`);
    if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') throw new UsageError(`unexpected argument ${JSON.stringify(positional ?? '')}`);
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && quoted) {
      const name = quoted.replace(/^-+/, '');
      const spec = (options as Record<string, OptionSpec>)[name] ?? Object.values(options).find((o) => `-${o.short}` === quoted);
      const key = name in options ? name : Object.keys(options).find((k) => `-${(options as Record<string, OptionSpec>)[k].short}` === quoted);
      if (spec?.type === 'string') throw new UsageError(`${quoted.startsWith('--') ? quoted : `--${key}`} needs ${(key && opts.needs?.[key as keyof O]) || 'a value'}`);
      throw new UsageError(`${quoted} takes no value`);
    }
    throw new UsageError((e as Error).message);
  }
}

/** Prints `medic <cmd>: <message>` and the usage on stderr; returns the usage exit code. */
export function usageError(io: CliIo, command: string, message: string, usage: string): number {
  io.stderr(`${command}: ${message}\n\n${usage}\n`);
  return USAGE_EXIT;
}
