// `pypi-watch status` (text and --json) reads the release waiting longest at the gate from Redis: an entry
// whose time no Date holds, or that is not a time at all (forged, or written by another version), must
// not stop status from printing everything else. Such an entry is left out; well-formed ones are shown.

import { describe, expect, test } from 'vitest';
import { readStatus } from '../src/status/queue-status.js';
import { runtimeAfterEach } from '@pypi-watch/test-utils';

const openTestRuntime = runtimeAfterEach();

const entry = (since: unknown, name: unknown = 'slow-pkg') => ({
  state: 'waiting',
  name,
  normalized: 'slow-pkg',
  version: '1.0',
  isPrerelease: false,
  since,
  hasSdist: false,
  checks: 0,
});

describe('status over a forged gate entry', () => {
  test.each([[1e300], ['yesterday'], [null], [Number.NaN]])('since %o: status answers, without the entry', async (since) => {
    const { runtime } = await openTestRuntime();
    const { keys } = runtime.stores;
    await runtime.redis.hset(keys.gate, 'slow-pkg==1.0', JSON.stringify(entry(since)));
    await runtime.redis.zadd(keys.gateDue.waiting, 1, 'slow-pkg==1.0');
    const status = await readStatus(runtime);
    expect(status.gate.waiting).toBe(1);
    expect(status.oldestWaiting).toBeUndefined();
  });

  test('a well-formed entry is shown; a name that is not text is not', async () => {
    const { runtime } = await openTestRuntime();
    const { keys } = runtime.stores;
    const since = Date.parse('2026-11-30T12:00:00Z');
    await runtime.redis.hset(keys.gate, 'slow-pkg==1.0', JSON.stringify(entry(since)));
    await runtime.redis.zadd(keys.gateDue.waiting, 1, 'slow-pkg==1.0');
    expect((await readStatus(runtime)).oldestWaiting).toEqual({ name: 'slow-pkg', version: '1.0', since: '2026-11-30T12:00:00.000Z' });
    await runtime.redis.hset(keys.gate, 'slow-pkg==1.0', JSON.stringify(entry(since, { toString: 1 })));
    expect((await readStatus(runtime)).oldestWaiting).toBeUndefined();
  });
});
