import { STRATEGIES, strategyByName } from './registry.js';
import { HOLD, OPEN_LONG, OPEN_SHORT, type AgentEdge, type AgentState, type FitChoice, type Strategy } from './types.js';

/**
 * What an agent trades, decided the same way in training and live: the configuration its latest
 * walk-forward fit chose (src/training/select.ts), or, when it stands aside, its strategy with
 * entries turned off so an open position still leaves by its own rules.
 */

/** A fitted configuration as a strategy the kernel runs: the rule's signal with the fit's exits. */
export function candidateStrategy(c: FitChoice): Strategy {
  const base = STRATEGIES[c.strategy];
  return { name: base.name, signal: base.signal.bind(base), exits: c.exits, features: base.features };
}

/** A strategy that never opens: its exit signals stand, its entries are dropped. */
export function standAside(s: Strategy): Strategy {
  return {
    name: s.name,
    exits: s.exits,
    features: s.features,
    signal(f, i, pos, state, ctx) {
      const sig = s.signal(f, i, pos, state, ctx);
      return sig === OPEN_LONG || sig === OPEN_SHORT ? HOLD : sig;
    },
  };
}

/**
 * The record shows there is no edge: enough trades for a verdict, and the verdict is no. Too few
 * trades to tell is not a "no": the agent proposes, and its evidence line says it is thin.
 */
export function showsNoEdge(e: AgentEdge): boolean {
  return !e.edge && e.code !== 'verdict_not_enough';
}

/** Why an agent opens nothing: its last fit found nothing worth trading, or its record shows no edge. */
export type AsideReason = 'fit' | 'no_edge';

/**
 * The strategy an agent trades now. `fallback` is the configured strategy (no fit yet);
 * `requireEdge`: an agent whose last training record shows no edge stands aside.
 */
export function tradedStrategy(state: AgentState, fallback: string, requireEdge: boolean): { strategy: Strategy; base: Strategy; aside: AsideReason | null } {
  const base = state.fit?.choice ? candidateStrategy(state.fit.choice) : strategyByName(fallback);
  if (requireEdge && state.edge && showsNoEdge(state.edge)) return { strategy: standAside(base), base, aside: 'no_edge' };
  if (state.fit && !state.fit.choice) return { strategy: standAside(base), base, aside: 'fit' };
  return { strategy: base, base, aside: null };
}
