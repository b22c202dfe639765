/**
 * English words that must never show in a chat configured for Spanish: the sweep of every
 * command's answer (test/chat-messages.test.ts), of /why, and of the charts
 * (test/charts-spanish.test.ts) all use this one list.
 */
export const ENGLISH_WORDS = /\b(Usage|none|Trades|Waiting|Balance|Equity|not yet|no run yet|failed)\b/;

/** What a chart or a reasoning would say in English (checked on top of ENGLISH_WORDS). */
export const ENGLISH_CHART_WORDS =
  /\b(Entry|Target|Last|bars|positive|best|worst|drawdown|shaded|peak|Running|Buys|Sells|Entries|Exits|BUY|SELL|entry|exit|proposal|Training|cycle|equity|by agent|No data|mean|median|outside|count|LONG|SHORT|take profit|upper|lower)\b/;

/** What an analyst's reasoning in /why would say in English (checked on top of ENGLISH_WORDS). */
export const ENGLISH_REASON_WORDS =
  /\b(indicators|point|up|down|uptrend|downtrend|volume|average|confirms|acceptable|positions|exposure|limit|revised|weight|backs|before|failed|headlines?|good|bad|mixed|news|proposes|technical|sentiment|strategist|BUY|SELL|HOLD|pending|openPositions|exposurePct|drawdown|riskReward|sameSidePositions|ups|downs|score|regime|volumeRatio|volatilityRatio|confluence|strategy|trending|ranging|warming|LONG|SHORT|ride the trend)\b/;
