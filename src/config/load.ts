import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { configSchema, ENV_ALIASES, SECRET_KEYS, type Config } from './schema.js';

/**
 * The checkout (where config/, templates/ and package.json live): the nearest folder above this
 * module holding package.json. Searched rather than counted, because this file runs from two
 * depths: src/config/ under tsx and build/src/config/ from the compiled build (`npm start`).
 */
export const PROJECT_ROOT = findRoot(path.dirname(fileURLToPath(import.meta.url)));

/** tradecrew's version (package.json). */
export function packageVersion(): string {
  return (JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

function findRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${from}: is this a tradecrew checkout?`);
  }
}

/** A config problem: one line naming the key and the fix. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Tree = Record<string, unknown>;

function getPath(tree: Tree, key: string): unknown {
  return key.split('.').reduce<unknown>((t, k) => (t && typeof t === 'object' ? (t as Tree)[k] : undefined), tree);
}

function setPath(tree: Tree, key: string, value: unknown): void {
  const parts = key.split('.');
  let t = tree;
  for (const p of parts.slice(0, -1)) {
    if (!t[p] || typeof t[p] !== 'object') t[p] = {};
    t = t[p] as Tree;
  }
  t[parts[parts.length - 1]] = value;
}

/** Turns an env string into the type the default has, so validation speaks about the value. */
function coerce(raw: string, like: unknown, key: string, envName: string): unknown {
  if (Array.isArray(like)) return raw.split(',').map((s) => s.trim()).filter(Boolean);
  if (typeof like === 'number') {
    const n = Number(raw);
    // Decimal only: Number() also reads "0x10" as 16 and "0b1" as 1, which nobody means in a config.
    if (!/^\s*[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?\s*$/i.test(raw) || !Number.isFinite(n)) throw new ConfigError(`config error: ${key} must be a number (got "${raw}" from ${envName})`);
    return n;
  }
  if (typeof like === 'boolean') {
    if (/^(true|1|yes|on)$/i.test(raw)) return true;
    if (/^(false|0|no|off)$/i.test(raw)) return false;
    throw new ConfigError(`config error: ${key} must be true or false (got "${raw}" from ${envName})`);
  }
  return raw;
}

function readYaml(file: string): Tree {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`config error: cannot read ${file}: ${(e as Error).message}`);
  }
  try {
    return (YAML.parse(text) ?? {}) as Tree;
  } catch (e) {
    throw new ConfigError(`config error: ${file} is not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
}

function deepMerge(base: Tree, over: Tree, prefix = ''): Tree {
  const out: Tree = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (!(k in base)) throw new ConfigError(`config error: unknown setting "${key}" (see config/default.yaml for the list)`);
    out[k] = v && typeof v === 'object' && !Array.isArray(v) ? deepMerge(base[k] as Tree, v as Tree, key) : v;
  }
  return out;
}

function leafKeys(tree: Tree, prefix = ''): string[] {
  return Object.entries(tree).flatMap(([k, v]) =>
    v && typeof v === 'object' && !Array.isArray(v) ? leafKeys(v as Tree, `${prefix}${k}.`) : [`${prefix}${k}`],
  );
}

export function envNameOf(key: string): string {
  return 'TRADECREW_' + key.toUpperCase().replace(/\./g, '__');
}

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  /** Extra overrides applied last (tests, CLI flags), by dotted key. */
  overrides?: Record<string, unknown>;
}

/**
 * default.yaml <- user file (TRADECREW_CONFIG or config/local.yaml) <- env <- overrides, then
 * validated. Throws ConfigError with one line naming the first bad key.
 */
export function loadConfig(opts: LoadOptions = {}): Config {
  const env = opts.env ?? process.env;
  const defaults = readYaml(path.join(PROJECT_ROOT, 'config', 'default.yaml'));
  let tree = defaults;
  const userFile = env.TRADECREW_CONFIG || (fs.existsSync(path.join(PROJECT_ROOT, 'config', 'local.yaml')) ? path.join(PROJECT_ROOT, 'config', 'local.yaml') : '');
  if (userFile) tree = deepMerge(tree, readYaml(userFile));

  const keys = leafKeys(defaults);
  const aliasOf = new Map(Object.entries(ENV_ALIASES));
  for (const key of keys) {
    const names = [envNameOf(key), ...[...aliasOf].filter(([, k]) => k === key).map(([n]) => n)];
    for (const name of names) {
      const raw = env[name];
      if (raw === undefined) continue;
      setPath(tree, key, coerce(raw, getPath(defaults, key), key, name));
    }
  }
  for (const [name] of Object.entries(env)) {
    if (name.startsWith('TRADECREW_') && !['TRADECREW_CONFIG', ...Object.keys(ENV_ALIASES)].includes(name) && !keys.some((k) => envNameOf(k) === name)) {
      throw new ConfigError(`config error: unknown environment setting ${name} (see config/default.yaml for the list)`);
    }
  }
  for (const [key, value] of Object.entries(opts.overrides ?? {})) setPath(tree, key, value);

  const parsed = configSchema.safeParse(tree);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = issue.path.join('.');
    const got = SECRET_KEYS.includes(key) ? '' : ` (got ${JSON.stringify(getPath(tree, key))})`;
    throw new ConfigError(`config error: ${key || '(root)'} ${issue.message}${got}; env override: ${envNameOf(key)}`);
  }
  const cfg = parsed.data;
  if (cfg.mode === 'live' && (!cfg.exchange.id || !cfg.exchange.api_key || !cfg.exchange.secret)) {
    throw new ConfigError('config error: mode live needs exchange.id, exchange.api_key and exchange.secret (EXCHANGE, EXCHANGE_API_KEY, EXCHANGE_SECRET); use mode: paper to trade on paper');
  }
  // Proposals must go somewhere: a group chat, or the traders' private chats (Telegram).
  if (cfg.telegram.bot_token && !cfg.telegram.chat_id && cfg.telegram.allowed_users.length === 0) {
    throw new ConfigError('config error: telegram has nowhere to send proposals and reports: set TELEGRAM_CHAT_ID (a group, or your own chat id) or TELEGRAM_ALLOWED_USERS (each trader then gets them in a private chat with the bot)');
  }
  if (cfg.discord.token && !cfg.discord.channel_id) {
    throw new ConfigError('config error: discord has nowhere to send proposals and reports: set DISCORD_CHANNEL_ID (the channel the bot posts in)');
  }
  // A news file that is not there is said now, with its key, not as a crew error at the first vote.
  if (cfg.crew.enabled && cfg.crew.news_file && !fs.existsSync(path.resolve(PROJECT_ROOT, cfg.crew.news_file))) {
    throw new ConfigError(`config error: crew.news_file ${path.resolve(PROJECT_ROOT, cfg.crew.news_file)} does not exist (leave it empty for no news); env override: ${envNameOf('crew.news_file')}`);
  }
  cfg.data_dir = path.resolve(PROJECT_ROOT, cfg.data_dir);
  return cfg;
}

/** A copy of the config with every secret that is set blanked, for a record (a backtest's replay). */
export function withoutSecrets(cfg: Config): Config {
  const copy = structuredClone(cfg) as unknown as Tree;
  for (const key of SECRET_KEYS) if (typeof getPath(copy, key) === 'string') setPath(copy, key, '');
  return copy as unknown as Config;
}

/** Every secret value in the config, for scrubbing text before it is logged or sent. */
export function secretsOf(cfg: Config): string[] {
  return SECRET_KEYS.map((k) => getPath(cfg as unknown as Tree, k)).filter((v): v is string => typeof v === 'string' && v.length >= 4);
}
