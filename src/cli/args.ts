import { parseArgs, type ParseArgsConfig } from 'node:util';

/**
 * Command-line parsing for every subcommand: node:util parseArgs in strict mode, with its errors
 * turned into one short line. Two kinds of failure, two exit codes:
 *   UsageError (exit 2) - the command line itself is wrong: unknown subcommand or flag, a flag
 *                         without its value, a stray positional argument, a required flag missing;
 *   InputError (exit 1) - the command line is well formed but a value is bad: a file that does not
 *                         parse, an unknown strategy, a fee out of range.
 */
export class UsageError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export class InputError extends Error {
  readonly exitCode = 1;
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

/** Flags shared by backtest and lookahead-check. */
export const BACKTEST_OPTIONS = {
  data: { type: 'string' },
  symbol: { type: 'string' },
  timeframe: { type: 'string' },
  strategy: { type: 'string' },
  'train-data': { type: 'string' },
  fee: { type: 'string' },
  seed: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies OptionSpec;

type One<T> = T extends { type: 'boolean' } ? boolean : string;
/** The parsed value of each flag: boolean or string, an array of them for `multiple: true`. */
export type Values<O extends OptionSpec> = { [K in keyof O]?: O[K] extends { multiple: true } ? Array<One<O[K]>> : One<O[K]> };

/** Strict parse; unknown flags, missing values and positionals become a UsageError naming them. */
export function parseFlags<O extends OptionSpec>(command: string, argv: string[], options: O): Values<O> {
  try {
    const { values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false });
    return values as Values<O>;
  } catch (e) {
    const err = e as Error & { code?: string };
    const quoted = (/'([^']+)'/.exec(err.message)?.[1] ?? '').replace(/ <value>$/, '');
    switch (err.code) {
      case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
        throw new UsageError(`${command}: unknown option ${quoted} (see: ${command} --help)`);
      case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
        // Node says: "argument missing", "argument is ambiguous" (a value starting with '-'), or
        // "does not take an argument" (a boolean given a value).
        const opt = quoted ? `option ${quoted}` : 'an option';
        if (/ambiguous/.test(err.message)) throw new UsageError(`${command}: ${opt} needs a value; write a value starting with "-" as ${quoted}=<value>`);
        throw new UsageError(`${command}: ${opt} ${/missing/.test(err.message) ? 'needs a value' : 'takes no value'} (see: ${command} --help)`);
      }
      case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
        throw new UsageError(`${command}: unexpected argument ${quoted} (flags take the form --name value; see: ${command} --help)`);
      default:
        throw new UsageError(`${command}: ${err.message.split('\n')[0]}`);
    }
  }
}

/** A decimal number flag, or an InputError naming the flag. */
export function numberFlag(name: string, raw: string): number {
  const v = raw.trim() === '' ? NaN : Number(raw);
  if (!Number.isFinite(v)) throw new InputError(`--${name} must be a number, got "${raw}"`);
  return v;
}

/** An integer flag, or an InputError naming the flag. */
export function intFlag(name: string, raw: string): number {
  const v = numberFlag(name, raw);
  if (!Number.isSafeInteger(v)) throw new InputError(`--${name} must be a whole number, got "${raw}"`);
  return v;
}
