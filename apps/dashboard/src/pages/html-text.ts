// Text from Redis (package names, farm paths, error messages) written into the dashboard's HTML.
// Everything that reaches a page goes through one of these: nothing from outside is trusted as markup.

const ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Safe in element content and in quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}

/**
 * JSON for a `<script type="application/json">` data block: `<` is written as `\u003c`, so no
 * `</script>` or `<!--` in the data can end the block early; JSON.parse reads it back unchanged.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** `42%` of the widest, for a ranked bar's width; 0 when nothing is above zero. */
export function shareOf(value: number, max: number): string {
  if (!(max > 0) || !(value > 0)) return '0%';
  return `${Math.max(1, Math.round((value / max) * 1000) / 10)}%`;
}

/** A count for people: `1,234`. */
export function formatCount(value: number): string {
  return value.toLocaleString('en-US');
}

/** `42 s`, `3.5 min`, `2.1 h` for a duration in seconds. */
export function formatSeconds(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${(seconds / 60).toFixed(1)} min`;
  if (seconds < 172_800) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86_400).toFixed(1)} d`;
}
