/**
 * ccxt, one exchange at a time.
 *
 * `import 'ccxt'` evaluates its index, which imports every one of its ~100 exchange classes:
 * ~0.9 s and ~90 MiB on the 2-core machine, for a bot that talks to one exchange (or, in the
 * demo, to none). So nothing in src/ imports ccxt's index at run time (type imports only);
 * the configured exchange's own module is imported here, once, before the app is built.
 *
 * ccxt's package.json exports only its index, so the exchange module is imported by its file URL
 * beside the index (ccxt/js/src/<id>.js). These are the very files the index imports, so the
 * classes, and `instanceof` on ccxt's error classes, are shared with any code (a test) that
 * imports the whole of ccxt. The lock file pins ccxt; test/ccxt.test.ts checks this layout.
 */
import fs from 'node:fs';
import type { Exchange } from 'ccxt';

/** ccxt's error classes (`ccxt.errors`). */
export type CcxtErrors = (typeof import('ccxt'))['errors'];
type ExchangeClass = new (config: Record<string, unknown>) => Exchange;

const INDEX = import.meta.resolve('ccxt'); // file:///…/node_modules/ccxt/js/ccxt.js
const SRC = new URL('./src/', INDEX);

let known: string[] | null = null;
let errors: CcxtErrors | null = null;
const classes = new Map<string, ExchangeClass>();

/** Every exchange id ccxt has (what `ccxt.exchanges` lists), read from its folder, not by loading them. */
export function knownExchanges(): string[] {
  known ??= fs
    .readdirSync(SRC)
    .filter((f) => f.endsWith('.js'))
    .map((f) => f.slice(0, -3))
    .sort();
  return known;
}

/**
 * Loads ccxt's base classes and the exchange `id` (nothing else). An unknown id loads nothing:
 * createExchange then names it with suggestions.
 */
export async function loadExchange(id: string): Promise<void> {
  if (classes.has(id) || !knownExchanges().includes(id)) return;
  const [mod, errs] = await Promise.all([
    import(new URL(`${id}.js`, SRC).href) as Promise<{ default: ExchangeClass }>,
    import(new URL('base/errors.js', SRC).href) as Promise<CcxtErrors>,
  ]);
  errors ??= errs;
  classes.set(id, mod.default);
}

/** The class of an exchange loadExchange() loaded. */
export function exchangeClass(id: string): ExchangeClass {
  const c = classes.get(id);
  if (!c) throw new Error(`ccxt exchange '${id}' is not loaded: await loadExchange('${id}') before createExchange`);
  return c;
}

/**
 * ccxt's error classes, or null while no exchange is loaded (then no ccxt error can exist, and
 * `err instanceof` checks are simply false).
 */
export function ccxtErrors(): CcxtErrors | null {
  return errors;
}

/** The installed ccxt's version (its package.json), without loading ccxt. */
export function ccxtVersion(): string {
  return (JSON.parse(fs.readFileSync(new URL('../package.json', INDEX), 'utf8')) as { version: string }).version;
}
