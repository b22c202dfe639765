import type { AgentState } from '../agents/types.js';
import type { DB } from './db.js';

/** A live agent's learned state (written at the end of a training run), or null. */
export function loadAgentState(db: DB, agent: string): AgentState | null {
  const row = db.prepare('SELECT state_json FROM agent_state WHERE agent=?').get(agent) as { state_json: string } | undefined;
  return row ? (JSON.parse(row.state_json) as AgentState) : null;
}
