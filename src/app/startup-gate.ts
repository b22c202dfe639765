import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The start-up catch-up, and the gate that lets the chat answer before it is done.
 *
 * A start fetches what the market did while the bot was down, finishes orders approved before
 * the restart, and compares the exchange with SQLite. With an exchange that is ~0.4 s of
 * requests and parsing (and minutes when the exchange is down), so the chats are connected
 * first (issue #17: start to first answer < 1 s) and answer through this gate:
 * - a viewer's command runs at once, on what SQLite holds (/status says the bot is catching up);
 * - anything that may change something (a trader's command, a button) waits until the catch-up
 *   is done, at most CATCH_UP_WAIT_MS: a /buy never sizes off candles from before the restart
 *   and never races the recovery of an order. Past the wait, or as soon as an attempt fails
 *   (the exchange is down), it is refused with the reason, and nothing changes.
 */
export type CatchUpStep = 'market' | 'orders';

export interface CatchUpProgress {
  step: CatchUpStep;
  /** Symbols fetched so far (step 'market'; of managedSymbols, which only a gated command changes). */
  done: number;
  /** Failed attempts so far, and the latest failure (secrets already scrubbed). */
  failures: number;
  lastError: string | null;
}

export class StartupGate {
  private progressNow: CatchUpProgress | null;
  private readonly opened: Promise<void>;
  private release!: () => void;
  private readonly onFailure = new Set<() => void>();

  /**
   * `starting`: the app waits for catchUp() (main.ts); an app built otherwise (tests, the CLI) is
   * ready at once. `waitMs`: how long what may change something waits for it before it is refused.
   */
  constructor(
    starting: boolean,
    private readonly waitMs = CATCH_UP_WAIT_MS,
  ) {
    this.progressNow = starting ? { step: 'market', done: 0, failures: 0, lastError: null } : null;
    this.opened = new Promise<void>((r) => (this.release = r));
    if (!starting) this.release();
  }

  get ready(): boolean {
    return this.progressNow === null;
  }

  /** While catching up: what it is doing; null once ready. */
  get progress(): Readonly<CatchUpProgress> | null {
    return this.progressNow;
  }

  /**
   * True once ready; false if `ms` (default: the gate's wait) pass first, or at once when an
   * attempt has failed (the exchange is down: waiting would only hold the chat, whose updates
   * are handled in order, and the answer says why).
   */
  async whenReady(ms = this.waitMs): Promise<boolean> {
    if (this.ready) return true;
    if (this.progressNow!.failures > 0) return false;
    const ac = new AbortController();
    const timedOut = sleep(ms, false, { signal: ac.signal, ref: false }).catch(() => false);
    let refuse!: () => void;
    const failed = new Promise<boolean>((r) => (refuse = () => r(false)));
    this.onFailure.add(refuse);
    const ok = await Promise.race([this.opened.then(() => true), timedOut, failed]);
    ac.abort();
    this.onFailure.delete(refuse);
    return ok;
  }

  /** catchUp's bookkeeping; a failed attempt lets every waiter go (refused). */
  report(p: Partial<CatchUpProgress>): void {
    if (!this.progressNow) return;
    Object.assign(this.progressNow, p);
    if (this.progressNow.failures > 0) {
      for (const f of this.onFailure) f();
      this.onFailure.clear();
    }
  }

  open(): void {
    this.progressNow = null;
    this.release();
  }
}

/** How long a trader's command or a button waits for the catch-up before it is refused. */
export const CATCH_UP_WAIT_MS = 10_000;

