/**
 * Schema migrations, applied in order inside one transaction each. Never edit a migration that
 * has shipped; add a new one.
 */
export const MIGRATIONS: string[] = [
  `
  CREATE TABLE candles (
    symbol TEXT NOT NULL, timeframe TEXT NOT NULL, ts INTEGER NOT NULL,
    open REAL NOT NULL, high REAL NOT NULL, low REAL NOT NULL, close REAL NOT NULL, volume REAL NOT NULL,
    PRIMARY KEY (symbol, timeframe, ts)
  ) WITHOUT ROWID;

  -- Key/value state that must survive restarts: paused flag, auto-approve, equity peak...
  CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);

  -- A proposal is persisted before anyone is asked. status moves pending -> approved -> executed,
  -- or pending -> rejected | expired, or approved -> failed. Only one transition out of pending wins.
  CREATE TABLE proposals (
    id TEXT PRIMARY KEY,
    symbol TEXT NOT NULL,
    direction TEXT NOT NULL,
    strategy TEXT NOT NULL,
    entry REAL NOT NULL, stop REAL NOT NULL, target REAL NOT NULL, quantity REAL NOT NULL,
    confidence REAL NOT NULL,
    decision_json TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    created_at INTEGER NOT NULL,
    candle_ts INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    decided_by TEXT, decided_at INTEGER, note TEXT
  );
  CREATE INDEX proposals_status ON proposals(status);

  -- One order per proposal (client_order_id is derived from the proposal id).
  CREATE TABLE orders (
    client_order_id TEXT PRIMARY KEY,
    proposal_id TEXT, trade_id TEXT, purpose TEXT NOT NULL,
    symbol TEXT NOT NULL, side TEXT NOT NULL, amount REAL NOT NULL,
    status TEXT NOT NULL, exchange_order_id TEXT,
    price REAL, fee REAL, created_at INTEGER NOT NULL, filled_at INTEGER, error TEXT
  );

  CREATE TABLE trades (
    id TEXT PRIMARY KEY,
    proposal_id TEXT UNIQUE,
    symbol TEXT NOT NULL, direction TEXT NOT NULL, strategy TEXT NOT NULL,
    quantity REAL NOT NULL, entry_price REAL NOT NULL, entry_ts INTEGER NOT NULL, entry_fee REAL NOT NULL,
    entry_slippage REAL NOT NULL DEFAULT 0,
    stop REAL NOT NULL, target REAL NOT NULL, leverage REAL NOT NULL DEFAULT 1,
    entry_candle_ts INTEGER NOT NULL,
    -- Last candle whose high/low was checked against stop and target.
    checked_ts INTEGER NOT NULL,
    decision_json TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open',
    exit_price REAL, exit_ts INTEGER, exit_reason TEXT, pnl REAL, metric_json TEXT
  );
  CREATE INDEX trades_status ON trades(status);

  -- Equity snapshots for charts and daily summaries.
  CREATE TABLE equity (ts INTEGER PRIMARY KEY, equity REAL NOT NULL, cash REAL NOT NULL);

  -- Outbox: every outgoing message is written here first and sent at least once.
  CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    adapter TEXT NOT NULL, chat_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    payload_json TEXT NOT NULL,
    -- For edits: which earlier outbox message (its platform id comes from message_refs).
    edit_of INTEGER,
    proposal_id TEXT,
    status TEXT NOT NULL DEFAULT 'queued',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL DEFAULT 0,
    platform_message_id TEXT,
    created_at INTEGER NOT NULL, sent_at INTEGER, error TEXT
  );
  CREATE INDEX outbox_due ON outbox(status, next_attempt_at);

  CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT, ts INTEGER NOT NULL,
    adapter TEXT NOT NULL, user_id TEXT NOT NULL, user_name TEXT,
    action TEXT NOT NULL, allowed INTEGER NOT NULL, detail TEXT
  );

  -- Risk-gate refusals, visible in /status and /pending.
  CREATE TABLE refusals (
    id INTEGER PRIMARY KEY AUTOINCREMENT, ts INTEGER NOT NULL, symbol TEXT NOT NULL, reason TEXT NOT NULL
  );

  CREATE TABLE training_runs (
    id TEXT PRIMARY KEY, status TEXT NOT NULL, config_json TEXT NOT NULL,
    started_at INTEGER NOT NULL, finished_at INTEGER,
    cycles_total INTEGER NOT NULL, cycles_done INTEGER NOT NULL DEFAULT 0,
    checkpoint_json TEXT, result_json TEXT, error TEXT
  );
  CREATE TABLE training_cycles (
    run_id TEXT NOT NULL, cycle INTEGER NOT NULL, summary_json TEXT NOT NULL,
    PRIMARY KEY (run_id, cycle)
  );
  CREATE TABLE training_trades (
    run_id TEXT NOT NULL, cycle INTEGER NOT NULL, symbol TEXT NOT NULL, metric_json TEXT NOT NULL
  );
  CREATE INDEX training_trades_run ON training_trades(run_id, cycle);

  -- Learned agent state (Q-tables, memories, ensemble weights) by agent key.
  CREATE TABLE agent_state (agent TEXT PRIMARY KEY, state_json TEXT NOT NULL, updated_at INTEGER NOT NULL);
  `,
  // 2: what is needed to finish an order after a crash without guessing: the exit's reason, the
  // reference price and candle it was decided on, the order type; the lookup of unfinished orders
  // by status on start; and the candle a trade exited on (the cooldown counts candles from it, as
  // the backtest does; exit_ts is wall-clock time in live mode).
  `
  ALTER TABLE trades ADD COLUMN exit_candle_ts INTEGER;
  ALTER TABLE orders ADD COLUMN reason TEXT;
  ALTER TABLE orders ADD COLUMN ref_price REAL;
  ALTER TABLE orders ADD COLUMN candle_ts INTEGER;
  ALTER TABLE orders ADD COLUMN type TEXT;
  CREATE INDEX orders_status ON orders(status, purpose);
  `,
  // 3: the analyst crew (src/crew). `decisions` is the seed's table: one row per deliberation with
  // the final votes, the reasoning and whether consensus was reached, linked to the proposal it
  // made (NULL when it made none: HOLD, disagreement). Every analysis of every round is kept in
  // `decision_rounds` for /why. `crew_track` is each analyst's track record (its learned weight);
  // `crew_track_trades` makes a closing trade count once. `llm_usage` is the per-day token budget.
  `
  CREATE TABLE decisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts INTEGER NOT NULL,
    symbol TEXT NOT NULL,
    candle_ts INTEGER NOT NULL,
    proposal_id TEXT,
    agent_side TEXT,
    consensus TEXT,
    consensus_reached INTEGER NOT NULL,
    agreement REAL NOT NULL,
    threshold REAL NOT NULL,
    outcome TEXT NOT NULL,
    rounds INTEGER NOT NULL,
    votes_json TEXT NOT NULL,
    reasoning TEXT NOT NULL,
    notice TEXT
  );
  CREATE INDEX decisions_proposal ON decisions(proposal_id);
  CREATE INDEX decisions_ts ON decisions(ts);
  CREATE TABLE decision_rounds (
    decision_id INTEGER NOT NULL REFERENCES decisions(id),
    round INTEGER NOT NULL,
    analyst TEXT NOT NULL,
    kind TEXT NOT NULL,
    recommendation TEXT,
    confidence REAL,
    reasoning TEXT NOT NULL,
    supporting_json TEXT NOT NULL,
    abstained INTEGER NOT NULL,
    changed INTEGER NOT NULL
  );
  CREATE INDEX decision_rounds_decision ON decision_rounds(decision_id, round);
  CREATE TABLE crew_track (analyst TEXT PRIMARY KEY, hits INTEGER NOT NULL, misses INTEGER NOT NULL, updated_at INTEGER NOT NULL);
  CREATE TABLE crew_track_trades (trade_id TEXT PRIMARY KEY, decision_id INTEGER NOT NULL, pnl REAL NOT NULL, ts INTEGER NOT NULL);
  CREATE TABLE llm_usage (day TEXT PRIMARY KEY, tokens INTEGER NOT NULL, calls INTEGER NOT NULL, failures INTEGER NOT NULL DEFAULT 0);
  `,
  `
  -- Outbox parts and de-duplication (issue #13, items 5-6):
  --  outbox_parts: each part of one logical message (photo, text chunks) the platform accepted, with
  --    its message id, committed before the next part is sent (a retry sends only the rest);
  --  outbox.dedupe_key: identical alerts to one chat within a window are queued once;
  --  outbox.uncertain_part / uncertain_count: how often the part being sent failed ambiguously
  --    (request sent, no answer); bounded, see src/chat/outbox.ts.
  CREATE TABLE IF NOT EXISTS outbox_parts (
    outbox_id INTEGER NOT NULL,
    part TEXT NOT NULL,
    platform_message_id TEXT,
    sent_at INTEGER NOT NULL,
    PRIMARY KEY (outbox_id, part)
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS outbox_chat_queue ON outbox(status, adapter, chat_id, id);
  ALTER TABLE outbox ADD COLUMN dedupe_key TEXT;
  ALTER TABLE outbox ADD COLUMN uncertain_part TEXT;
  ALTER TABLE outbox ADD COLUMN uncertain_count INTEGER NOT NULL DEFAULT 0;
  CREATE INDEX IF NOT EXISTS outbox_dedupe ON outbox(adapter, chat_id, dedupe_key, created_at);
  `,
  `
  -- The analysts' reasons as a key and figures (src/crew/reasons.ts), so /why says them in the
  -- chat's language; NULL for rounds recorded before (their English text is shown as stored).
  ALTER TABLE decision_rounds ADD COLUMN reason_json TEXT;
  `,
  `
  -- Cooldown releases (/unlock, issue #14): the cooldown after a symbol's exit ending early. A row
  -- releases every exit up to exit_candle_ts; a later exit starts a new cooldown as usual.
  CREATE TABLE IF NOT EXISTS cooldown_releases (
    symbol TEXT PRIMARY KEY,
    exit_candle_ts INTEGER NOT NULL,
    released_by TEXT NOT NULL,
    released_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  `,
  `
  -- Telegram forum topics (issue #14): one topic per agent when the push chat is a forum. A row is
  -- written (thread_id NULL: claimed) before createForumTopic is called and gets the thread id
  -- once Telegram answered; a claim left without one means the answer was lost (a crash, a reset)
  -- and is counted in attempts. A topic the admins deleted is recreated and its row updated.
  CREATE TABLE IF NOT EXISTS chat_topics (
    adapter TEXT NOT NULL,
    chat_id TEXT NOT NULL,
    topic TEXT NOT NULL,
    thread_id TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (adapter, chat_id, topic)
  ) WITHOUT ROWID;
  `,
  `
  -- Risk-gate refusals as a key and figures (src/risk/gate.ts GateCode), so /status says them in
  -- the chat's language; NULL for older rows and for refusals that are not the gate's.
  ALTER TABLE refusals ADD COLUMN reason_json TEXT;
  `,
  `
  -- The dashboard (issue #16): one-time sign-in links from /dashboard and the page's sessions.
  -- Only SHA-256 hashes of the tokens are kept: a copy of the database opens no session.
  CREATE TABLE IF NOT EXISTS dashboard_links (
    token_hash TEXT PRIMARY KEY,
    adapter TEXT NOT NULL,
    user_id TEXT NOT NULL,
    user_name TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS dashboard_sessions (
    id_hash TEXT PRIMARY KEY,
    adapter TEXT NOT NULL,
    user_id TEXT NOT NULL,
    user_name TEXT NOT NULL,
    role TEXT NOT NULL,
    csrf TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  `,
  `
  -- Backtests run from the CLI (issue #15, replayable runs): what was run (arguments and the
  -- config as resolved, secrets blanked), the manifest (code version, the candle files' digests)
  -- and the report, so "replay <id>" can run it again and compare every figure.
  CREATE TABLE IF NOT EXISTS backtest_runs (
    id TEXT PRIMARY KEY,
    created_at INTEGER NOT NULL,
    args_json TEXT NOT NULL,
    config_json TEXT NOT NULL,
    manifest_json TEXT NOT NULL,
    result_json TEXT NOT NULL
  ) WITHOUT ROWID;
  `,
];
