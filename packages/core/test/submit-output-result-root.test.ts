// What `submit` prints is hostile: a `result_root` line of half a megabyte (the runner keeps 512 kB of
// output) would be stored whole in the decision log, the result job and every build outcome, and read
// back by each /report, /why and `report`. A path longer than PATH_MAX (4096) is not one the farm's
// mount can hold, so it is not taken: the job counts as submitted, its result is not followed.

import { describe, expect, test } from 'vitest';
import { parseSubmitOutput } from '../src/submit/submit-output.js';

const lines = (root: string) => `submit_id=1b2c\nsubmit job.yaml, got job id=crystal.1\nresult_root ${root}\n`;

describe('result_root from submit', () => {
  test('a path up to PATH_MAX is taken as printed', () => {
    const root = `/result/rpmbuild/${'d'.repeat(4096 - 17)}`;
    expect(root).toHaveLength(4096);
    expect(parseSubmitOutput(lines(root))).toMatchObject({ jobId: 'crystal.1', resultRoot: root });
  });

  test('a longer one is not a result root: the job id stands, no result root is stored', () => {
    const parsed = parseSubmitOutput(lines(`/result/${'x'.repeat(500_000)}`));
    expect(parsed.jobId).toBe('crystal.1');
    expect(parsed.resultRoot).toBeUndefined();
  });
});
