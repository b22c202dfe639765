import { runAgentCycle, type AgentCycleInput } from './agent-cycle.js';

/** Piscina worker entry: one agent, one cycle. */
export default function (input: AgentCycleInput) {
  return runAgentCycle(input);
}
