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

export interface CaptureOptions extends ScanOptions {
  /** Bytes kept after each occurrence of the needle (fewer at the end of what was read). */
  readonly captureBytes: number;
  /** Occurrences kept at most; reading stops once this many are found. */
  readonly maxMatches: number;
}

/**
 * The bytes following each occurrence of `needle` in the first `maxBytes` of what `read` yields,
 * decoded as UTF-8 (lossy: the caller validates what it takes). One bounded buffer, as `scanFor`.
 */
export async function captureAfter(read: ChunkReader, needle: string, options: CaptureOptions): Promise<string[]> {
  const captures: string[] = [];
  const needleBytes = Buffer.from(needle, 'utf8');
  const window = needleBytes.length + options.captureBytes;
  const overlap = window - 1;
  const chunkBytes = Math.max(1, Math.min(options.chunkBytes ?? 1024 * 1024, options.maxBytes));
  const buffer = Buffer.alloc(overlap + chunkBytes);
  let tail = 0;
  let position = 0;
  // Absolute offset of the next needle not yet taken: the carried tail is searched again, so a
  // match is taken once, either whole or at the end of the input.
  let nextFrom = 0;
  let ended = false;
  while (!ended && captures.length < options.maxMatches) {
    const length = Math.min(chunkBytes, options.maxBytes - position);
    const count = length > 0 ? await read(buffer.subarray(tail, tail + length), position, length) : 0;
    ended = count <= 0;
    position += Math.max(0, count);
    const text = buffer.subarray(0, tail + Math.max(0, count));
    const textStart = position - text.length;
    for (let at = text.indexOf(needleBytes, Math.max(0, nextFrom - textStart)); at >= 0; at = text.indexOf(needleBytes, at + 1)) {
      const from = at + needleBytes.length;
      // A capture cut off by the chunk's end waits for the next chunk (the tail carries it whole).
      if (!ended && text.length - from < options.captureBytes) break;
      captures.push(text.subarray(from, Math.min(text.length, from + options.captureBytes)).toString('utf8'));
      nextFrom = textStart + at + 1;
      if (captures.length >= options.maxMatches) break;
    }
    const keep = Math.min(overlap, text.length);
    text.copy(buffer, 0, text.length - keep);
    tail = keep;
  }
  return captures;
}
