import { afterAll, describe, expect, test } from 'vitest';
import { GATE_STATES, GateStore, type GateEntry, type GateState } from '../src/gate/gate-store.js';
import { redisKeys } from '../src/redis/redis-keys.js';
import { connectTestRedis, deleteKeysWithPrefix, uniquePrefix } from '@pypi-watch/test-utils';

const redis = connectTestRedis();
const prefixes: string[] = [];
afterAll(async () => {
  for (const prefix of prefixes) await deleteKeysWithPrefix(redis, prefix);
  redis.disconnect();
});

function store(): { gate: GateStore; keys: ReturnType<typeof redisKeys> } {
  const prefix = uniquePrefix();
  prefixes.push(prefix);
  const keys = redisKeys(prefix);
  return { gate: new GateStore(redis, keys), keys };
}

function entry(index: number, state: GateState): GateEntry {
  return { state, name: `p${index}`, normalized: `p${index}`, version: '1.0', isPrerelease: false, since: 1, hasSdist: false, checks: 0 };
}

describe('GateStore.remove', () => {
  // More keys than one remove call (5,000) and than one slice inside it (1,000), in every state.
  test('takes every given key out of the hash and every due set, across several calls; the rest stay', async () => {
    const { gate, keys } = store();
    const stored = 12_345;
    await gate.put(
      Array.from({ length: stored }, (_, index) => ({ key: `p${index}==1.0`, entry: entry(index, GATE_STATES[index % 3]!), dueAt: index })),
    );
    const removed = Array.from({ length: 12_001 }, (_, index) => `p${index}==1.0`);
    // Keys never stored, and one key twice, are no trouble.
    await gate.remove([...removed, 'never==1.0', 'p0==1.0']);

    expect(await redis.hlen(keys.gate)).toBe(stored - removed.length);
    const left = await gate.counts();
    expect(left.waiting + left.held + left.withdrawn).toBe(stored - removed.length);
    const remaining = await gate.getMany(Array.from({ length: stored }, (_, index) => `p${index}==1.0`));
    expect([...remaining.keys()]).toEqual(Array.from({ length: stored - removed.length }, (_, index) => `p${removed.length + index}==1.0`));
    for (const state of GATE_STATES) {
      const due = await redis.zrange(keys.gateDue[state], 0, -1);
      expect(due.every((key) => remaining.get(key)?.state === state)).toBe(true);
    }
  });

  test('nothing to remove sends nothing', async () => {
    const { gate, keys } = store();
    await gate.put([{ key: 'a==1', entry: entry(1, 'held'), dueAt: 5 }]);
    await gate.remove([]);
    expect(await redis.hlen(keys.gate)).toBe(1);
  });
});
