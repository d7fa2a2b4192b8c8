// Reading a stored story back into entries, and the entries of the format before (one JSON list per
// project), which a deployment upgraded within `dedupe.ttl` still holds. What is in Redis is outside
// input: an entry that does not parse is left out, never thrown.

import { decodeDecision } from './decision-codec.js';
import type { Decision, DecisionEntry } from './decision-types.js';
import { NO_VERSION, RS, US, parseSigned36, unpackField, type UnpackContext } from './story-text.js';

/** The entries of a story (oldest first); `resolve` gives the shared table's strings by id. */
export function decodeStory(story: string, subject: string, resolve: UnpackContext['resolve']): DecisionEntry[] {
  if (story === '') return [];
  const pieces = story.split(RS);
  // The header: the newest entry's time, then (US) how much older the oldest is, which only the scripts use.
  const lastAt = parseSigned36(pieces[0]!.split(US)[0]!);
  if (lastAt === undefined) return [];
  const parsed = pieces.slice(1).map((entry) => entry.split(US));
  // Each entry stores its time as the gap from the one before: walk back from the newest.
  const times: number[] = new Array<number>(parsed.length);
  let at = lastAt;
  for (let index = parsed.length - 1; index >= 0; index--) {
    times[index] = at;
    at -= parseSigned36(parsed[index]![0] ?? '') ?? 0;
  }
  const context: UnpackContext = { subject, resolve };
  const entries: DecisionEntry[] = [];
  let version: string | undefined;
  parsed.forEach((fields, index) => {
    const [, versionField = '', ...body] = fields;
    try {
      if (versionField === NO_VERSION) version = undefined;
      else if (versionField !== '') version = unpackField(versionField, context);
      const decision = decodeDecision(body, { ...context, at: times[index]! });
      entries.push({ at: times[index]!, ...(version === undefined ? {} : { version }), decision });
    } catch {
      // A malformed entry (bytes no encoder writes) is left out; the rest of the story still reads.
    }
  });
  return entries;
}

/** The entries of a list written by the format before this one, each `{at, version?, decision}` as JSON. */
export function decodeLegacyEntries(raw: readonly string[]): DecisionEntry[] {
  const entries: DecisionEntry[] = [];
  for (const text of raw) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    const { at, version, decision } = value as { at?: unknown; version?: unknown; decision?: unknown };
    if (typeof at !== 'number' || !Number.isFinite(at)) continue;
    if (version !== undefined && typeof version !== 'string') continue;
    if (typeof decision !== 'object' || decision === null || typeof (decision as { kind?: unknown }).kind !== 'string') continue;
    entries.push({ at, ...(version === undefined ? {} : { version }), decision: decision as Decision });
  }
  return entries;
}
