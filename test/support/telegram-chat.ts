/** A person typing to the bot in a Telegram chat of the stand-in, and what they read back. */
import assert from 'node:assert/strict';
import type { App } from '../../src/app/context.js';
import type { StandinMessage, startTelegramStandin } from './telegram-standin.js';

type Standin = Awaited<ReturnType<typeof startTelegramStandin>>;

export const textOf = (m: StandinMessage) => m.text ?? m.caption ?? '';
/** What Telegram shows: the HTML with tags removed and entities decoded. */
export const visible = (html: string) => html.replace(/<[^>]+>/g, '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');
export const joined = (ms: StandinMessage[]) => ms.map((m) => visible(textOf(m))).join('\n');

/**
 * `ask` sends a command as `from` in `chat` and returns every message the bot sent in answer
 * (once its outbox is drained); `say` returns them as the text a person reads. Both are getters:
 * the stand-in starts in `before`, and tests that restart the bot swap the app.
 */
export function chatWith(standin: () => Standin, app: () => App, chat: number) {
  async function ask(from: { id: number; username: string }, text: string): Promise<StandinMessage[]> {
    const tg = standin();
    const before = tg.sent.length;
    tg.userSends(chat, from, text);
    await tg.waitFor(() => tg.sent.length > before, 20_000);
    assert.ok(await app().outbox.drain(20_000), 'outbox drained');
    return tg.sent.slice(before);
  }
  return { ask, say: async (from: { id: number; username: string }, text: string) => joined(await ask(from, text)) };
}
