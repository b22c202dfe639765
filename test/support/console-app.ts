/** A whole bot in this process behind the console adapter: type commands, read what it prints. */
import { PassThrough, Writable } from 'node:stream';
import { COMMANDS } from '../../commands/index.js';
import type { App } from '../../src/app/context.js';
import { createApp, type CreateOptions } from '../../src/app/create.js';
import { createConsoleAdapter } from '../../src/chat/console.js';
import { createRouter } from '../../src/chat/router.js';
import type { InboundHandlers } from '../../src/chat/types.js';
import type { Config } from '../../src/config/schema.js';
import { silentLogger } from '../../src/util/logger.js';

export interface ConsoleApp {
  app: App;
  /** The router the console feeds (a test may press buttons through it). */
  router: InboundHandlers;
  /** Types a line (a command) as user alice. */
  say(line: string): void;
  /** Everything printed so far. */
  text(): string;
  /** Waits until the printed text matches (or throws after `ms`). */
  waitFor(re: RegExp, ms?: number): Promise<void>;
  stop(): Promise<void>;
}

/** `opts`: more of createApp's options (a clock, a start that catches up...). */
export async function startConsoleApp(cfg: Config, opts: Omit<Partial<CreateOptions>, 'adapters'> = {}): Promise<ConsoleApp> {
  let text = '';
  const output = new Writable({
    write(chunk, _e, cb) {
      text += String(chunk);
      cb();
    },
  });
  const input = new PassThrough();
  const con = createConsoleAdapter({ input, output, userName: 'alice' });
  const app = createApp(cfg, { log: silentLogger(), outbox: { backoffBaseMs: 20, pollMs: 20 }, ...opts, adapters: [con] });
  const router = createRouter(app, COMMANDS);
  await con.start(router, []);
  return {
    app,
    router,
    say: (line) => input.write(line + '\n'),
    text: () => text,
    async waitFor(re, ms = 20_000) {
      const deadline = Date.now() + ms;
      while (!re.test(text)) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${re} in:\n${text.slice(-2000)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async stop() {
      await Promise.allSettled([...app.background]);
      await app.outbox.drain(2_000);
      await app.outbox.stop();
      await con.stop();
      app.db.close();
    },
  };
}
