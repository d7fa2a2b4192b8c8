// The worker's "latest wins" claim is on every poll-queued submit's path: its Redis round trips are
// counted here on the real client (every command and pipeline the runtime's connection sends; the
// queue shares it), through a real poll, a real join and the real BullMQ job.

import { Job } from 'bullmq';
import { afterEach, describe, expect, test } from 'vitest';
import { claimLatest } from '../src/coalesce/claim-latest.js';
import { PendingLatest, pendingField } from '../src/coalesce/pending-latest.js';
import { DecisionLog } from '../src/decisions/decision-log.js';
import { redisKeys } from '../src/redis/redis-keys.js';
import type { SubmitJobData } from '../src/submit/submit-job.js';
import { createPollHarness, type PollHarness } from '@pypi-watch/test-utils';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Claimer {
  /** Claims the pending job of `name` as its worker would; returns the data and the round trips it took. */
  claim(name: string): Promise<{ data: SubmitJobData; roundTrips: number; jobId: string }>;
}

async function claimer(h: PollHarness): Promise<Claimer> {
  const keys = redisKeys(h.setup.prefix);
  const redis = h.runtime.redis;
  const pending = new PendingLatest({ redis, keys, jobKeyPrefix: h.runtime.queues.submit.toKey('') });
  const decisions = new DecisionLog({ redis, keys, ttlMs: 86_400_000 });
  let roundTrips = 0;
  // A command sent alone is one round trip; a pipeline's commands carry its stream and go out as one.
  const sendCommand = redis.sendCommand.bind(redis);
  redis.sendCommand = (...args: Parameters<typeof sendCommand>) => {
    if (args[1] === undefined) roundTrips++;
    return sendCommand(...args);
  };
  const pipeline = redis.pipeline.bind(redis);
  redis.pipeline = (...args: Parameters<typeof pipeline>) => {
    roundTrips++;
    return pipeline(...args);
  };
  return {
    claim: async (name) => {
      const ids = await h.pendingJobIds();
      const jobId = ids.find((id) => id.startsWith(`${name}|`));
      if (jobId === undefined) throw new Error(`no pending job for ${name}`);
      const job = (await Job.fromId<SubmitJobData>(h.runtime.queues.submit, jobId))!;
      const targetId = jobId.split('|')[2]!;
      roundTrips = 0;
      const data = await claimLatest(pending, job, job.data, targetId, decisions, h.logs.logger);
      return { data, roundTrips, jobId };
    },
  };
}

describe('latest wins: the claim at a submit start', () => {
  test('nothing joined: one round trip; joined: two plus the decision log, data stored before the field goes', async () => {
    const h = await createPollHarness('changelog');
    cleanups.push(() => h.close());
    await h.poller.run();
    h.pypi.publish([
      { name: 'warm', version: '1.0' },
      { name: 'solo', version: '1.0' },
      { name: 'rapid', version: '1.0' },
    ]);
    await h.poller.run();
    h.pypi.publish([
      { name: 'warm', version: '1.1' },
      { name: 'rapid', version: '1.2' },
      { name: 'rapid', version: '1.1' },
    ]);
    expect(await h.poller.run()).toMatchObject({ joined: 2 });
    const c = await claimer(h);
    // The first claim of each script may send it in full (NOSCRIPT): not what a running worker pays.
    await c.claim('warm');

    const solo = await c.claim('solo');
    expect(solo.data.version).toBe('1.0');
    expect(solo.roundTrips).toBe(1);

    const rapid = await c.claim('rapid');
    expect(rapid.data.version).toBe('1.2');
    // Claim, then the data update fused with the compare-and-delete; then the superseded decisions.
    expect(rapid.roundTrips).toBe(3);
    const stored = (await Job.fromId<SubmitJobData>(h.runtime.queues.submit, rapid.jobId))!;
    expect(stored.data.version).toBe('1.2');
    const keys = redisKeys(h.setup.prefix);
    const field = pendingField('rapid', rapid.jobId.split('|')[2]!);
    expect(await h.runtime.redis.hget(keys.latest, field)).toBeNull();
    expect(await h.runtime.redis.get(keys.latestClaimedPrefix + field)).toMatch(/\n1\.0\n1\.2$/);
  });

  test('a release that joins between the claim and the release: neither the data nor the field change', async () => {
    const h = await createPollHarness('changelog');
    cleanups.push(() => h.close());
    await h.poller.run();
    h.pypi.publish([{ name: 'racy', version: '1.0' }]);
    await h.poller.run();
    h.pypi.publish([{ name: 'racy', version: '1.1' }]);
    expect(await h.poller.run()).toMatchObject({ joined: 1 });
    const [jobId] = await h.pendingJobIds();
    const targetId = jobId!.split('|')[2]!;
    const pending = new PendingLatest({
      redis: h.runtime.redis,
      keys: redisKeys(h.setup.prefix),
      jobKeyPrefix: h.runtime.queues.submit.toKey(''),
    });
    const request = { normalized: 'racy', targetId, jobId: jobId!, name: 'racy', version: '1.0' };
    const claimed = (await pending.claim(request))!;
    expect(claimed.versions).toEqual(['1.0', '1.1']);
    // 1.2 joins the still-waiting field, as a poll running now would.
    expect(await pending.join([{ ...request, jobId: 'racy|1.2|other', version: '1.2' }])).toEqual([jobId]);
    const job = (await Job.fromId<SubmitJobData>(h.runtime.queues.submit, jobId!))!;
    expect(await pending.release('racy', targetId, claimed, { ...job.data, version: '1.1' })).toBe(false);
    expect((await Job.fromId<SubmitJobData>(h.runtime.queues.submit, jobId!))!.data.version).toBe('1.0');
    // The next claim sees all three, and the release stores the newest with the field's deletion.
    const again = (await pending.claim(request))!;
    expect(again.versions).toEqual(['1.0', '1.1', '1.2']);
    expect(await pending.release('racy', targetId, again, { ...job.data, version: '1.2' })).toBe(true);
    expect((await Job.fromId<SubmitJobData>(h.runtime.queues.submit, jobId!))!.data.version).toBe('1.2');
    expect(await h.runtime.redis.hget(redisKeys(h.setup.prefix).latest, pendingField('racy', targetId))).toBeNull();
  });
});
