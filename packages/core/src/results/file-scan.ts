// Streams a (possibly large) farm log file once, reporting which of the given strings occur.

import { createReadStream } from 'node:fs';

/** Files past this are read only up to it: a runaway build log must not stall a worker. */
const MAX_SCAN_BYTES = 256 * 1024 * 1024;

/** Which needles occur in the file; a missing file contains none. */
export async function scanFileFor(path: string, needles: readonly string[]): Promise<Set<string>> {
  const found = new Set<string>();
  const overlap = Math.max(0, ...needles.map((n) => Buffer.byteLength(n))) - 1;
  let tail = '';
  try {
    const stream = createReadStream(path, { encoding: 'utf8', end: MAX_SCAN_BYTES - 1, highWaterMark: 1024 * 1024 });
    for await (const chunk of stream as AsyncIterable<string>) {
      // Carry the end of the previous chunk so a needle split across chunks is still seen.
      const text = tail + chunk;
      for (const needle of needles) if (!found.has(needle) && text.includes(needle)) found.add(needle);
      if (found.size === needles.length) {
        stream.destroy();
        break;
      }
      tail = overlap > 0 ? text.slice(-overlap) : '';
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return found;
    throw error;
  }
  return found;
}
