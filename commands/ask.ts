import type { Command } from '../src/chat/command.js';
import { answerQuestion } from '../src/crew/ask.js';
import { simpleMessage } from '../src/render/views.js';
import { UsageError } from '../src/chat/command.js';

export const ask: Command = {
  name: 'ask',
  description: "Ask about the analyst crew's state and recent decisions",
  usage: '/ask <question>',
  details: 'Answered by the LLM from the facts in the database when one is configured (crew.llm), otherwise with those facts directly: weights and track record, recent decisions, LLM usage. Name a proposal id or a symbol to focus on it.',
  role: 'viewer',
  options: [{ name: 'question', description: 'your question, e.g. why no BTC trade today?', type: 'string', required: true }],
  async run(ctx) {
    const question = ctx.args.join(' ').trim();
    if (!question) throw new UsageError('ask a question, e.g. /ask what did the crew decide on BTC?');
    if (question.length > 500) throw new UsageError('keep the question under 500 characters');
    const r = await answerQuestion(ctx.app, question);
    ctx.reply(simpleMessage(r.via === 'llm' ? '🤖' : '🧑‍🤝‍🧑', r.notice ? `${r.notice}\n${r.text}` : r.text));
  },
};
