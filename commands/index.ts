import type { Command } from '../src/chat/command.js';
import type { CommandSpec } from '../src/chat/types.js';
import { agent, agents } from './agents.js';
import { approve } from './approve.js';
import { ask } from './ask.js';
import { autoapprove } from './autoapprove.js';
import { backtest } from './backtest.js';
import { balance } from './balance.js';
import { chart } from './chart.js';
import { close } from './close.js';
import { daily, monthly, weekly } from './daily.js';
import { dashboard } from './dashboard.js';
import { describe, help } from './help.js';
import { notifications } from './notifications.js';
import { pause, resume } from './pause.js';
import { pending } from './pending.js';
import { pnl } from './pnl.js';
import { logs } from './logs.js';
import { locks, unlock } from './locks.js';
import { count, health, profit, stats, version } from './profit.js';
import { positions } from './positions.js';
import { reject } from './reject.js';
import { set, settings } from './settings.js';
import { start } from './start.js';
import { status } from './status.js';
import { stopTraining, train } from './train.js';
import { trades } from './trades.js';
import { why } from './why.js';
import { cancel } from './cancel.js';
import { reloadConfig } from './reload.js';
import { buy, sell } from './buy.js';
import { whitelist } from './whitelist.js';

/** Every chat command, in the order /help and the platforms' menus show them. */
export const COMMANDS: Command[] = [
  start,
  help,
  status,
  dashboard,
  agents,
  agent,
  positions,
  trades,
  pnl,
  profit,
  stats,
  count,
  daily,
  weekly,
  monthly,
  balance,
  chart,
  pending,
  why,
  ask,
  buy,
  sell,
  approve,
  reject,
  close,
  cancel,
  locks,
  unlock,
  pause,
  resume,
  autoapprove,
  notifications,
  whitelist,
  settings,
  set,
  reloadConfig,
  train,
  stopTraining,
  backtest,
  logs,
  health,
  version,
];

/**
 * What the adapters need to register the commands (Telegram's menu, Discord's slash commands with
 * typed options), with descriptions in the bot's language.
 */
export function commandSpecs(lang = 'en', commands: Command[] = COMMANDS): CommandSpec[] {
  return commands.map((c) => ({ name: c.name, description: describe(lang, c), usage: c.usage, ...(c.options ? { options: c.options } : {}) }));
}

/** The English specs; main.ts and test/support/app.ts should pass `commandSpecs(cfg.language)` to `adapter.start`. */
export const COMMAND_SPECS: CommandSpec[] = commandSpecs('en');
