/** Runs every benchmark under bench/ in turn (each prints its own figures). */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const here = import.meta.dirname;
for (const f of fs.readdirSync(here).filter((f) => f.endsWith('.bench.ts')).sort()) {
  console.log(`\n=== ${f}`);
  execFileSync(process.execPath, ['--import', 'tsx', path.join(here, f), ...process.argv.slice(2)], { stdio: 'inherit' });
}
