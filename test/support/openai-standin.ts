import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local OpenAI-compatible server (POST /v1/chat/completions) on 127.0.0.1, for driving the REAL
 * openai client through its baseURL. Each request is answered by `handler` (scripted per test):
 * its content, an optional delay (to provoke the client's timeout), an HTTP status, the token
 * usage to report.
 */
export interface ChatRequest {
  model: string;
  messages: Array<{ role: string; content: string }>;
  response_format?: { type: string };
  max_tokens?: number;
  temperature?: number;
}

export interface StandinReply {
  content?: string;
  delayMs?: number;
  status?: number;
  /** The error message of a non-200 answer (some proxies echo the caller's key in it). */
  errorMessage?: string;
  totalTokens?: number;
}

export type StandinHandler = (req: ChatRequest, n: number) => StandinReply | Promise<StandinReply>;

export interface OpenAiStandin {
  /** e.g. http://127.0.0.1:PORT/v1 — what OPENAI_BASE_URL is set to. */
  baseURL: string;
  requests: Array<{ body: ChatRequest; authorization: string | undefined }>;
  setHandler(h: StandinHandler): void;
  close(): Promise<void>;
}

/** Which analyst a request is for, from its system prompt (the crew's role line). */
export function roleOf(req: ChatRequest): string {
  const sys = req.messages.find((m) => m.role === 'system')?.content ?? '';
  return /TECHNICAL/.test(sys) ? 'technical' : /RISK/.test(sys) ? 'risk' : /MARKET MONITOR/.test(sys) ? 'monitor' : /SENTIMENT/.test(sys) ? 'sentiment' : /STRATEGIST/.test(sys) ? 'strategist' : 'other';
}

export const vote = (recommendation: string, confidence: number, reasoning: string) => JSON.stringify({ recommendation, confidence, reasoning, supporting_data: { source: 'standin' } });

export async function startOpenAiStandin(handler: StandinHandler = () => ({ content: vote('BUY', 0.7, 'stand-in says buy') })): Promise<OpenAiStandin> {
  let h = handler;
  const requests: OpenAiStandin['requests'] = [];
  const timers = new Set<NodeJS.Timeout>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'not found' } }));
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ChatRequest;
      requests.push({ body, authorization: req.headers.authorization });
      const r = await h(body, requests.length);
      const send = () => {
        if (res.destroyed) return;
        if (r.status && r.status !== 200) {
          res.writeHead(r.status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: r.errorMessage ?? 'stand-in error', type: r.status === 401 ? 'invalid_request_error' : 'server_error' } }));
          return;
        }
        const tokens = r.totalTokens ?? 50;
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            id: `chatcmpl-${requests.length}`,
            object: 'chat.completion',
            created: Math.floor(Date.now() / 1000),
            model: body.model,
            choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: r.content ?? '' } }],
            usage: { prompt_tokens: tokens - 10, completion_tokens: 10, total_tokens: tokens },
          }),
        );
      };
      if (r.delayMs) {
        const t = setTimeout(() => (timers.delete(t), send()), r.delayMs);
        timers.add(t);
      } else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    setHandler: (x) => (h = x),
    async close() {
      for (const t of timers) clearTimeout(t);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
