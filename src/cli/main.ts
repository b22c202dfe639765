import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BACKTEST_USAGE, backtestCommand } from './backtest.js';
import { LOOKAHEAD_USAGE, lookaheadCommand } from './lookahead.js';
import { REPLAY_USAGE, replayCommand } from './replay.js';
import { IMPORT_USAGE, importCommand, TRAIN_USAGE, trainCommand } from './train.js';

/**
 * The command-line dispatcher: `npm run cli -- <subcommand> [flags]`. Each subcommand is one entry
 * of SUBCOMMANDS (usage text + async handler returning the exit code); add one by adding an entry.
 *
 * Exit codes: 0 done; 1 bad input (a file that does not parse, a bad value) or a failed check;
 * 2 bad command line (unknown subcommand or flag). Every error is ONE line on stderr, never a
 * stack trace: the person at the terminal needs what and where, not our call stack.
 */
export interface Subcommand {
  usage: string;
  run(argv: string[]): Promise<number>;
}

export const SUBCOMMANDS: Record<string, Subcommand> = {
  backtest: { usage: BACKTEST_USAGE, run: backtestCommand },
  'lookahead-check': { usage: LOOKAHEAD_USAGE, run: lookaheadCommand },
  train: { usage: TRAIN_USAGE, run: trainCommand },
  'import-csv': { usage: IMPORT_USAGE, run: importCommand },
  replay: { usage: REPLAY_USAGE, run: replayCommand },
};

export function usage(): string {
  return [
    'usage: npm run cli -- <subcommand> [options]     (options of one subcommand: <subcommand> --help)',
    '',
    ...Object.values(SUBCOMMANDS).map((c) => `  ${c.usage.split('\n').join('\n  ')}\n`),
  ].join('\n');
}

/** The message of anything thrown, cut to its first line. */
function oneLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0].trim() || (e instanceof Error ? e.name : 'unknown error');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage() + '\n');
    return 0;
  }
  const cmd = Object.hasOwn(SUBCOMMANDS, name) ? SUBCOMMANDS[name] : undefined;
  if (!cmd) {
    process.stderr.write(`error: unknown subcommand "${name}" (choose one of: ${Object.keys(SUBCOMMANDS).join(', ')}; see --help)\n`);
    return 2;
  }
  try {
    return await cmd.run(rest);
  } catch (e) {
    const code = (e as { exitCode?: unknown }).exitCode;
    process.stderr.write(`error: ${oneLine(e)}\n`);
    return code === 2 ? 2 : 1;
  }
}

const invokedDirectly = process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  // `cli ... | head`: a reader that stops early is not an error of ours.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
  // exitCode rather than process.exit(): a large JSON on a pipe must be flushed before we go.
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`error: ${oneLine(e)}\n`);
      process.exitCode = 1;
    },
  );
}
