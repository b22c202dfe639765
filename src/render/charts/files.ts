/** Chart images to disk. */
import { mkdir, rename, writeFile, unlink } from 'node:fs/promises';
import { resolve, join } from 'node:path';
import { randomBytes } from 'node:crypto';

/** mkdir -p `dir`, write `name` atomically (tmp file + rename), return the absolute path. */
export async function writePng(dir: string, name: string, png: Buffer): Promise<string> {
  const base = name.endsWith('.png') ? name : `${name}.png`;
  if (base.includes('/') || base.includes('\\') || base === '.png' || base.startsWith('..')) {
    throw new Error(`writePng: name must be a plain file name, got ${JSON.stringify(name)}`);
  }
  const absDir = resolve(dir);
  await mkdir(absDir, { recursive: true });
  const target = join(absDir, base);
  const tmp = join(absDir, `.${base}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, png);
    await rename(tmp, target);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  return target;
}
