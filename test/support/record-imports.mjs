/**
 * `node --import ./test/support/record-imports.mjs ...`: appends the URL of every ES module the
 * process loads (not the CommonJS ones they require) to the file named by TC_IMPORT_LOG, one a
 * line, so a test can see what a real start loaded (ccxt or not, which exchange). Plain
 * JavaScript so that it also runs in front of the compiled build, without tsx. The hook runs on Node's loader thread; appendFileSync keeps
 * every line even when the process exits abruptly.
 */
import { register } from 'node:module';

const hooks = `
import fs from 'node:fs';
let log = '';
export function initialize(data) { log = data.log; }
export async function load(url, context, next) {
  if (log) fs.appendFileSync(log, url + '\\n');
  return next(url, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`, { data: { log: process.env.TC_IMPORT_LOG ?? '' } });
