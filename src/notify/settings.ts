import type { Config } from '../config/schema.js';
import type { DB } from '../store/db.js';
import { getKv, setKv } from '../store/kv.js';

/**
 * What the trader wants to hear, per kind of push (freqtrade's notification settings): `on`,
 * `silent` (delivered without a sound: Telegram's disable_notification, Discord's suppressed
 * notifications) or `off` (not sent at all). The config sets the defaults (notifications.*); the
 * chat's /notifications overrides them, kept in SQLite so a restart keeps them. Answers to
 * commands are never affected, and alerts can be silenced but not turned off: they say when money
 * is at risk (the kill switch, a failing disk, an exchange that disagrees).
 */
export const NOTIFY_GROUPS = ['proposals', 'orders', 'trades', 'alerts', 'reports', 'training'] as const;
export type NotifyGroup = (typeof NOTIFY_GROUPS)[number];
export const NOTIFY_MODES = ['on', 'silent', 'off'] as const;
export type NotifyMode = (typeof NOTIFY_MODES)[number];

const KV = 'notifications.overrides';

/** The group a pushed kind belongs to (null: not a push the trader can tune, always on). */
export function groupOf(kind: string): NotifyGroup | null {
  if (kind === 'proposal') return 'proposals';
  if (kind === 'fill' || kind.startsWith('order_')) return 'orders';
  if (kind.startsWith('trade_')) return 'trades';
  if (kind === 'alert') return 'alerts';
  if (kind === 'daily_summary') return 'reports';
  if (kind === 'training') return 'training';
  return null;
}

export function isNotifyGroup(s: string): s is NotifyGroup {
  return (NOTIFY_GROUPS as readonly string[]).includes(s);
}

/** Every group's mode: the config's, then the chat's overrides. */
export function notifyModes(cfg: Pick<Config, 'notifications'>, db: DB): Record<NotifyGroup, NotifyMode> {
  return { ...cfg.notifications, ...getKv<Partial<Record<NotifyGroup, NotifyMode>>>(db, KV, {}) };
}

export function modeOf(cfg: Pick<Config, 'notifications'>, db: DB, kind: string): NotifyMode {
  const g = groupOf(kind);
  return g ? notifyModes(cfg, db)[g] : 'on';
}

export function setNotifyMode(db: DB, group: NotifyGroup, mode: NotifyMode): void {
  if (group === 'alerts' && mode === 'off') throw new Error('alerts can be silent, not off');
  setKv(db, KV, { ...getKv<Partial<Record<NotifyGroup, NotifyMode>>>(db, KV, {}), [group]: mode });
}
