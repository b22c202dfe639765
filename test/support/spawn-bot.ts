import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const REPO = path.resolve(import.meta.dirname, '..', '..');

export function tempDataDir(prefix = 'tc-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * The real bot as a child process, stdout collected as it comes: the source through tsx (what
 * `npm run dev` runs), never build/, so a test always runs the code as it is now without a
 * rebuild. `npm start` runs the compiled build; test/build.test.ts builds it and starts it.
 */
export interface BotProcess {
  child: ChildProcessWithoutNullStreams;
  out(): string;
  err(): string;
  waitFor(re: RegExp, timeoutMs?: number, from?: number): Promise<RegExpExecArray>;
  send(line: string): void;
  endInput(): void;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** The real bot process (`cwd`: another checkout of the project; default this one). */
export function spawnBot(env: Record<string, string>, cwd = REPO): BotProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return {
    child,
    out: () => out,
    err: () => err,
    async waitFor(re, timeoutMs = 30_000, from = 0) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const m = re.exec(out.slice(from));
        if (m) return m;
        if (child.exitCode !== null) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`timed out waiting for ${re} in bot output:\n${out.slice(-3000)}\nstderr:\n${err.slice(-2000)}`);
    },
    send(line) {
      child.stdin.write(line + '\n');
    },
    endInput() {
      child.stdin.end();
    },
    exited,
  };
}

/** The bot's exit, or a failure naming what it printed when it has not exited within `ms`. */
export async function exitWithin(bot: BotProcess, ms: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the bot did not exit within ${ms} ms; last output:\n${bot.out().slice(-1500)}\nstderr:\n${bot.err().slice(-1000)}`)), ms);
  });
  try {
    return await Promise.race([bot.exited, late]);
  } finally {
    clearTimeout(timer);
  }
}
