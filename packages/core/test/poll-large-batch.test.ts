// A poll after a long outage: more releases than a JavaScript call takes arguments (~120,000) must
// not fail the poll. It used to fail after queueing, before the cursor moved, so every poll after
// fetched the same span and failed the same way.

import { afterEach, describe, expect, test } from 'vitest';
import { createPollHarness, type PollHarness } from '@pypi-watch/test-utils';

const harnesses: PollHarness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.close();
});

// Four versions of each project, so latest wins queues one job per project and the test stays
// cheaper: 40,000 `queued` and 120,000 `superseded` decisions, the batch the poll once spread into
// one push() call.
const PROJECTS = 40_000;
const VERSIONS = 4;
const RELEASES = PROJECTS * VERSIONS;

describe('a poll of more releases than a call has arguments', () => {
  test(
    `${RELEASES.toLocaleString('en-US')} releases of ${PROJECTS.toLocaleString('en-US')} projects: one job each, the rest superseded, the cursor moves on`,
    { timeout: 300_000 },
    async () => {
      const h = await createPollHarness('changelog');
      harnesses.push(h);
      await h.poller.run(); // the first poll only records the head serial
      h.pypi.publish(
        Array.from({ length: RELEASES }, (_, index) => ({
          name: `outage-${index % PROJECTS}`,
          version: `1.${Math.floor(index / PROJECTS)}`,
        })),
      );

      const result = await h.poller.run();
      expect(result).toMatchObject({
        found: RELEASES,
        queued: PROJECTS,
        queuedJobs: PROJECTS,
        superseded: RELEASES - PROJECTS,
        duplicate: 0,
      });
      const ids = await h.pendingJobIds();
      expect(ids).toHaveLength(PROJECTS);
      expect(ids.filter((id) => !id.includes(`|1.${VERSIONS - 1}|`))).toEqual([]);
      // The cursor moved: the next poll has nothing new.
      expect(await h.poller.run()).toMatchObject({ found: 0, queued: 0 });
    },
  );
});
