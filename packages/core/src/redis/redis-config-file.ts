// The embedded redis-server's settings as a redis.conf, so its password is never on a command line.

/** One `directive value…` line per entry; values are quoted, so no value can start a new directive. */
export type RedisConfigEntries = ReadonlyArray<readonly [directive: string, ...values: string[]]>;

/**
 * Renders a redis.conf. argv is world-readable (`ps`, /proc/PID/cmdline), a 0600 file is not:
 * that is where `requirepass` goes.
 */
export function renderRedisConfig(entries: RedisConfigEntries): string {
  return entries.map(([directive, ...values]) => [directive, ...values.map(quoteConfigValue)].join(' ')).join('\n') + '\n';
}

/**
 * A double-quoted value as redis-server's config reader (sdssplitargs) reads it back: `"` and `\`
 * escaped, control characters as `\xHH`, so a folder name holding a quote, a space or a newline
 * stays one value and cannot smuggle in a directive.
 */
export function quoteConfigValue(value: string): string {
  let quoted = '"';
  for (const char of value) {
    const code = char.codePointAt(0) ?? 0;
    if (char === '"' || char === '\\') quoted += `\\${char}`;
    else if (code < 0x20 || code === 0x7f) quoted += `\\x${code.toString(16).padStart(2, '0')}`;
    else quoted += char;
  }
  return `${quoted}"`;
}
