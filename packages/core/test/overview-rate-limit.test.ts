// The overview's submit.rateLimit per minute, for limits of every size the config takes: a farm quota
// of a few submits a day is a rate well below 0.01 a minute, and must not be shown as a limit of 0.

import { describe, expect, test } from 'vitest';
import { readOverview } from '../src/overview/read-overview.js';
import { runtimeAfterEach } from '@pypi-watch/test-utils';

const openTestRuntime = runtimeAfterEach();

async function limitFor(rateLimit: { max: number; duration: string }): Promise<number | undefined> {
  const { runtime } = await openTestRuntime({ submit: { rateLimit } });
  const overview = await readOverview(runtime, Date.now());
  return overview.rate.limitPerMinute;
}

describe('the overview rate limit per minute', () => {
  test.each([
    [{ max: 1, duration: '1d' }, 1 / 1440],
    [{ max: 3, duration: '6h' }, 3 / 360],
    [{ max: 10, duration: '1s' }, 600],
    [{ max: 7, duration: '1m' }, 7],
  ])('%o is %d a minute, to 3 significant digits', async (rateLimit, perMinute) => {
    const limit = await limitFor(rateLimit);
    expect(limit).toBeGreaterThan(0);
    expect(Math.abs(limit! - perMinute) / perMinute).toBeLessThan(0.005);
  });
});
