import { runAgentSegment, type AgentSegmentInput } from './agent-cycle.js';

/** Piscina worker entry: one agent through one segment of cycles. */
export default function (input: AgentSegmentInput) {
  return runAgentSegment(input);
}
