// Files only this user may read: the embedded redis-server's config (its password) and endpoint file.

import { randomBytes } from 'node:crypto';
import { chmod, mkdir, rename, rm, writeFile } from 'node:fs/promises';

/**
 * Creates `dir` (and missing parents) and makes `dir` itself 0700, also when an older version left
 * it 0755: whatever redis-server writes there (AOF, log) is then out of other users' reach.
 */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
}

/**
 * Writes `path` as mode 0600 through a fresh temp file and a rename, so the file is never
 * readable by others (writeFile's `mode` is ignored for a file that already exists) and a reader
 * never sees half of it.
 */
export async function writePrivateFile(path: string, data: string): Promise<void> {
  const temp = `${path}.${process.pid}-${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(temp, data, { mode: 0o600, flag: 'wx' });
  try {
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
