import crypto from 'node:crypto';

/**
 * Telegram Mini App sign-in: the `initData` string Telegram hands the page is signed with the
 * bot token (core.telegram.org/bots/webapps#validating-data-received-via-the-mini-app):
 *   secret = HMAC_SHA256(key = "WebAppData", data = bot_token)
 *   hash   = hex(HMAC_SHA256(key = secret, data = data_check_string))
 * where data_check_string is every received field but `hash`, as key=value, sorted by key,
 * joined by "\n". auth_date (seconds) older than maxAgeSeconds is refused.
 */
export type InitDataResult =
  | { ok: true; user: { id: string; name: string }; authDate: number }
  | { ok: false; why: 'malformed' | 'missing_hash' | 'bad_hash' | 'expired' | 'no_user' };

export function checkInitData(initData: string, botToken: string, maxAgeSeconds: number, nowMs: number): InitDataResult {
  if (typeof initData !== 'string' || initData.length === 0 || initData.length > 8192) return { ok: false, why: 'malformed' };
  let params: URLSearchParams;
  try {
    params = new URLSearchParams(initData);
  } catch {
    return { ok: false, why: 'malformed' };
  }
  const hash = params.get('hash');
  if (!hash) return { ok: false, why: 'missing_hash' };
  if (!/^[0-9a-f]{64}$/.test(hash)) return { ok: false, why: 'bad_hash' };
  const fields: string[] = [];
  for (const [k, v] of params) if (k !== 'hash') fields.push(`${k}=${v}`);
  fields.sort();
  const secret = crypto.createHmac('sha256', 'WebAppData').update(botToken).digest();
  const expected = crypto.createHmac('sha256', secret).update(fields.join('\n')).digest();
  if (!crypto.timingSafeEqual(expected, Buffer.from(hash, 'hex'))) return { ok: false, why: 'bad_hash' };
  const authDate = Number(params.get('auth_date'));
  if (!Number.isFinite(authDate) || authDate <= 0) return { ok: false, why: 'malformed' };
  if (nowMs / 1000 - authDate > maxAgeSeconds) return { ok: false, why: 'expired' };
  let user: { id?: unknown; first_name?: unknown; last_name?: unknown; username?: unknown };
  try {
    user = JSON.parse(params.get('user') ?? 'null') ?? {};
  } catch {
    return { ok: false, why: 'no_user' };
  }
  if (typeof user.id !== 'number' && typeof user.id !== 'string') return { ok: false, why: 'no_user' };
  const name = typeof user.username === 'string' && user.username ? user.username : [user.first_name, user.last_name].filter((x) => typeof x === 'string' && x).join(' ') || String(user.id);
  return { ok: true, user: { id: String(user.id), name }, authDate };
}

/** Signs fields as Telegram would (for tests and the demo stand-in). */
export function signInitData(fields: Record<string, string>, botToken: string): string {
  const secret = crypto.createHmac('sha256', 'WebAppData').update(botToken).digest();
  const dcs = Object.entries(fields)
    .map(([k, v]) => `${k}=${v}`)
    .sort()
    .join('\n');
  const hash = crypto.createHmac('sha256', secret).update(dcs).digest('hex');
  return new URLSearchParams({ ...fields, hash }).toString();
}
