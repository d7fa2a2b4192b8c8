// Reads a (possibly large) farm log once, in bounded chunks, reporting which of the given strings occur.

/** Reads up to `length` bytes at `position` into `buffer`; resolves to the count (0 at the end). */
export type ChunkReader = (buffer: Buffer, position: number, length: number) => Promise<number>;

export interface ScanOptions {
  /** Bytes read at most; the rest of a longer file is never read (a runaway log must not stall a worker). */
  readonly maxBytes: number;
  /** Bytes per read. @defaultValue 1 MiB */
  readonly chunkBytes?: number;
}

/** Which needles occur in the first `maxBytes` of what `read` yields. Matching is on bytes: no decoding. */
export async function scanFor(read: ChunkReader, needles: readonly string[], options: ScanOptions): Promise<Set<string>> {
  const found = new Set<string>();
  const patterns = needles.map((needle) => ({ needle, bytes: Buffer.from(needle, 'utf8') }));
  const overlap = Math.max(0, ...patterns.map((p) => p.bytes.length)) - 1;
  const chunkBytes = Math.max(1, Math.min(options.chunkBytes ?? 1024 * 1024, options.maxBytes));
  // One buffer for the whole scan: the carried tail of the last chunk, then the new chunk.
  const buffer = Buffer.alloc(overlap + chunkBytes);
  let tail = 0;
  let position = 0;
  while (position < options.maxBytes && found.size < patterns.length) {
    const length = Math.min(chunkBytes, options.maxBytes - position);
    const count = await read(buffer.subarray(tail, tail + length), position, length);
    if (count <= 0) break;
    position += count;
    const text = buffer.subarray(0, tail + count);
    for (const { needle, bytes } of patterns) if (!found.has(needle) && text.includes(bytes)) found.add(needle);
    // Carry the end of this chunk so a needle split across two reads is still seen.
    const keep = Math.min(overlap, text.length);
    text.copy(buffer, 0, text.length - keep);
    tail = keep;
  }
  return found;
}
