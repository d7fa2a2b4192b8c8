// Where the repository's test fixtures are, whatever the test's working directory.

import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is packages/test-utils/src/paths.ts). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
/** The stand-in for Compass-CI's `submit`: prints what the real one prints (see the script's header for its settings). */
export const STANDIN_SUBMIT = join(REPO_ROOT, 'packages/core/test/fixtures/bin/submit');
/** The job template the real deployment submits. */
export const JOB_YAML = join(REPO_ROOT, 'config/update-pypi.yaml');
