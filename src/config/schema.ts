import cron from 'node-cron';
import { z } from 'zod';
import { isTimeframe } from '../market/timeframe.js';

const fraction = (max = 1) => z.number().min(0).max(max);
const symbol = z.string().regex(/^[A-Z0-9.\-]+\/[A-Z0-9.\-]+$/, 'must look like BASE/QUOTE, e.g. BTC/USDT');
const ids = z.array(z.string().regex(/^\d+$/, 'must be numeric user ids'));
const timeframe = z.string().refine(isTimeframe, 'must be a timeframe like 1m, 5m, 1h, 4h, 1d');
/** A node-cron expression, or empty for "off" (checked at start, not when the job first runs). */
const cronOrEmpty = z.string().refine((s) => s === '' || cron.validate(s), 'must be a node-cron expression such as "0 3 * * *", or empty');
const hhmm = z.string().regex(/^$|^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (24h) or empty');
export const STRATEGY_NAMES = ['trend_following', 'mean_reversion', 'breakout', 'rl_qlearning', 'ensemble', 'trend_participation', 'ml_forest'] as const;

/** The whole configuration. Keys mirror config/default.yaml exactly (snake_case). */
export const configSchema = z
  .object({
    mode: z.enum(['paper', 'live']),
    language: z.enum(['en', 'es']),
    timezone: z.string().refine((tz) => {
      try {
        new Intl.DateTimeFormat('en', { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    }, 'must be an IANA timezone such as UTC or Europe/Madrid'),
    log_level: z.enum(['trace', 'debug', 'info', 'warn', 'error']),
    data_dir: z.string().min(1),
    redis_url: z.string().refine((u) => u === '' || /^rediss?:\/\/[^\s]+$/.test(u), 'must be empty or a redis:// (or rediss://) URL'),
    worker_lock_seconds: z.number().min(1).max(3600),
    queue_prefix: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, 'must be 1-40 letters, digits, _ or -'),
    symbols: z.array(symbol).min(1).refine((xs) => new Set(xs).size === xs.length, 'must not name a symbol twice'),
    timeframe,
    starting_balance: z.number().positive(),
    strategy: z.enum(STRATEGY_NAMES),
    exchange: z.object({
      id: z.string(),
      api_key: z.string(),
      secret: z.string(),
      api_url: z.string().regex(/^$|^https?:\/\//, 'must be an http(s) URL or empty'),
      sandbox: z.boolean(),
      cache_ttl_seconds: z.number().min(0),
      order_type: z.enum(['market', 'limit']),
      market_type: z.enum(['spot', 'swap', 'future', 'margin']),
      backfill_candles: z.number().int().min(100).max(5000),
      timeout_seconds: z.number().positive().max(300),
      retries: z.number().int().min(1).max(10),
      retry_base_ms: z.number().int().min(0).max(60_000),
    }),
    demo: z.object({
      seed: z.number().int(),
      candle_every_seconds: z.number().positive().max(3600),
      history_days: z.number().int().min(10).max(3650),
    }),
    scan: z.object({
      schedule: cronOrEmpty,
      watch_schedule: cronOrEmpty,
    }),
    approval: z.object({
      ttl_seconds: z.number().int().min(0),
      demo_ttl_seconds: z.number().int().min(1),
      auto_approve: z.boolean(),
      auto_min_confidence: fraction(),
      max_price_move: z.number().min(0).max(10),
    }),
    risk: z.object({
      risk_per_trade: fraction(0.2),
      max_position_pct: fraction(),
      max_total_exposure: fraction(5),
      max_open_positions: z.number().int().min(1).max(100),
      daily_trade_limit: z.number().int().min(1),
      cooldown_candles: z.number().int().min(0),
      daily_loss_limit: fraction(),
      max_drawdown: fraction(),
      min_risk_reward: z.number().min(0).max(20),
      atr_stop_mult: z.number().positive().max(20),
      atr_target_mult: z.number().positive().max(50),
      allow_short: z.boolean(),
      leverage: z.number().min(1).max(125),
      max_hold_candles: z.number().int().min(1),
      trailing_stop_atr: z.number().min(0).max(50),
    }),
    costs: z.object({ fee: fraction(0.05), slippage: fraction(0.05) }),
    training: z.object({
      days_back: z.number().int().min(1).max(3650),
      cycle_size_hours: z.number().positive().max(24 * 365),
      max_concurrent_agents: z.number().int().min(1).max(64),
      checkpoint_interval: z.number().int().min(1),
      memory_cleanup_interval: z.number().int().min(1),
      max_memory_usage_mb: z.number().int().min(64),
      recovery_enabled: z.boolean(),
      summary_every: z.number().int().min(1),
      seed: z.number().int(),
      schedule: cronOrEmpty,
      walk_forward: z.boolean(),
      fit_days: z.number().int().min(7).max(3650),
      refit_days: z.number().int().min(1).max(3650),
      fit_confidence: z.number().min(0).max(1),
      fit_threads: z.number().int().min(0).max(64),
      fit_chunk: z.number().int().min(1).max(100_000),
      require_edge: z.boolean(),
    }),
    reports: z.object({ daily_time: hhmm }),
    telegram: z.object({
      bot_token: z.string(),
      api_root: z.string().regex(/^$|^https?:\/\//, 'must be an http(s) URL or empty'),
      chat_id: z.string().regex(/^$|^-?\d+$/, 'must be a numeric chat id'),
      allowed_users: ids,
      viewers: ids,
    }),
    discord: z.object({
      token: z.string(),
      api_root: z.string().regex(/^$|^https?:\/\//, 'must be an http(s) URL or empty'),
      channel_id: z.string().regex(/^$|^\d+$/, 'must be a numeric channel id'),
      guild_id: z.string().regex(/^$|^\d+$/, 'must be a numeric guild id'),
      allowed_users: ids,
      viewers: ids,
    }),
    console: z.object({ enabled: z.enum(['auto', 'on', 'off']), exit_on_eof: z.boolean() }),
    notifications: z.object({
      proposals: z.enum(['on', 'silent', 'off']),
      orders: z.enum(['on', 'silent', 'off']),
      trades: z.enum(['on', 'silent', 'off']),
      alerts: z.enum(['on', 'silent'], { message: 'must be on or silent (alerts cannot be turned off)' }),
      reports: z.enum(['on', 'silent', 'off']),
      training: z.enum(['on', 'silent', 'off']),
    }),
    ops: z.object({ port: z.number().int().min(0).max(65535), host: z.string().min(1) }),
    dashboard: z.object({
      port: z.number().int().min(0).max(65535),
      host: z.string().min(1),
      public_url: z.string().regex(/^$|^https?:\/\/[^\s]+$/, 'must be an http(s) URL or empty'),
      init_data_max_age_seconds: z.number().int().min(10).max(86_400),
      link_ttl_minutes: z.number().int().min(1).max(1440),
      session_hours: z.number().min(0.1).max(720),
    }),
    crew: z.object({
      enabled: z.boolean(),
      debate_rounds: z.number().int().min(0).max(5),
      consensus_threshold: z.number().min(0.5).max(1),
      revise_below: fraction(),
      persuade_share: z.number().min(0.5).max(1),
      weights: z.object({ technical: z.number().min(0).max(10), risk: z.number().min(0).max(10), monitor: z.number().min(0).max(10), sentiment: z.number().min(0).max(10), strategist: z.number().min(0).max(10) }).strict(),
      learn_weights: z.boolean(),
      news_file: z.string(),
      news_url: z.string().regex(/^$|^https?:\/\//, 'must be an http(s) URL or empty'),
      news_days: z.number().int().min(1).max(90),
      llm: z.object({
        api_key: z.string(),
        base_url: z.string().regex(/^$|^https?:\/\//, 'must be an http(s) URL or empty'),
        model: z.string().min(1, 'must name a model, e.g. gpt-4o-mini or llama3.1'),
        analysts: z.array(z.enum(['technical', 'risk', 'monitor', 'sentiment', 'strategist'])),
        timeout_seconds: z.number().positive().max(300),
        daily_token_budget: z.number().int().min(0),
        max_tokens: z.number().int().min(16).max(8192),
      }),
    }),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;

/** Conventional env names for a few keys (besides the generic TRADECREW_A__B form). */
export const ENV_ALIASES: Record<string, string> = {
  TRADECREW_DATA_DIR: 'data_dir',
  TRADECREW_SYMBOLS: 'symbols',
  EXCHANGE: 'exchange.id',
  EXCHANGE_API_KEY: 'exchange.api_key',
  EXCHANGE_SECRET: 'exchange.secret',
  EXCHANGE_API_URL: 'exchange.api_url',
  TELEGRAM_BOT_TOKEN: 'telegram.bot_token',
  TELEGRAM_API_ROOT: 'telegram.api_root',
  TELEGRAM_CHAT_ID: 'telegram.chat_id',
  TELEGRAM_ALLOWED_USERS: 'telegram.allowed_users',
  TELEGRAM_VIEWERS: 'telegram.viewers',
  DISCORD_TOKEN: 'discord.token',
  DISCORD_API_ROOT: 'discord.api_root',
  DISCORD_CHANNEL_ID: 'discord.channel_id',
  DISCORD_GUILD_ID: 'discord.guild_id',
  DISCORD_ALLOWED_USERS: 'discord.allowed_users',
  DISCORD_VIEWERS: 'discord.viewers',
  OPENAI_API_KEY: 'crew.llm.api_key',
  OPENAI_BASE_URL: 'crew.llm.base_url',
};

/** Keys whose values are secrets: never printed, logged or echoed. */
export const SECRET_KEYS = ['exchange.api_key', 'exchange.secret', 'telegram.bot_token', 'discord.token', 'crew.llm.api_key', 'redis_url'];
