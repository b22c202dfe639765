import crypto from 'node:crypto';

/**
 * Button data carries the action, the proposal id and an HMAC of both, keyed by a secret kept in
 * the database. A forged or edited button (another proposal's id pasted into callback data) fails
 * the check, so a press can only ever act on the proposal its message was created for.
 */
export type ButtonAction = 'ap' | 'rj' | 'cc' | 'cx';

function mac(key: string, payload: string): string {
  return crypto.createHmac('sha256', key).update(payload).digest('base64url').slice(0, 10);
}

export function signButton(key: string, action: ButtonAction, id: string): string {
  const payload = `${action}:${id}`;
  return `${payload}:${mac(key, payload)}`;
}

export function verifyButton(key: string, data: string): { action: ButtonAction; id: string } | null {
  const m = /^(ap|rj|cc|cx):([\w.\-]{1,40}):([\w-]{10})$/.exec(data);
  if (!m) return null;
  const expected = mac(key, `${m[1]}:${m[2]}`);
  if (!crypto.timingSafeEqual(Buffer.from(expected), Buffer.from(m[3]))) return null;
  return { action: m[1] as ButtonAction, id: m[2] };
}
