// Reads a farm result folder and says where the build is, and for a finished one, how it went.
// The markers are the ones operators' own script used (issue "Follow each release to its result").

import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { scanFileFor } from './file-scan.js';

export const FAILURE_KINDS = [
  'repo-outage',
  'missing-dependency',
  'spec-needs-repair',
  'ai-repair-skipped',
  'requirements-repaired',
  'other',
] as const;
export type FailureKind = (typeof FAILURE_KINDS)[number];

export type ResultState =
  | { readonly state: 'waiting' }
  | { readonly state: 'running' }
  | {
      readonly state: 'done';
      readonly status: 'success' | 'failure';
      /** For a success: whether the built RPMs also installed. */
      readonly installed?: boolean;
      readonly kind?: FailureKind;
      /** From the folder's first file to `output`'s last write. */
      readonly buildDurationMs?: number;
    };

const OUTPUT = {
  success: 'rpmbuild success',
  installFailed: 'fail to local install rpms',
  repoOutage: "Errors during downloading metadata for repository 'OS'",
  aiSkipped: 'skip ai repair',
  requirementsRepaired: 'old version: ',
} as const;
const BUILD_LOG = {
  missingModule: 'ModuleNotFoundError: No module named',
  illegalChar: "Illegal char '*'",
  badToken: 'Dependency tokens must begin with alpha-numeric',
} as const;

export async function classifyResultFolder(dir: string): Promise<ResultState> {
  if (!(await exists(dir))) return { state: 'waiting' };
  const outputPath = join(dir, 'output');
  const outputStat = await stat(outputPath).catch(() => undefined);
  if (!outputStat) return { state: 'running' };

  const output = await scanFileFor(outputPath, Object.values(OUTPUT));
  const started = await stat(join(dir, 'job.yaml')).catch(() => undefined);
  const buildDurationMs = started ? Math.max(0, Math.round(outputStat.mtimeMs - started.mtimeMs)) : undefined;
  const timing = buildDurationMs === undefined ? {} : { buildDurationMs };
  if (output.has(OUTPUT.success)) {
    return { state: 'done', status: 'success', installed: !output.has(OUTPUT.installFailed), ...timing };
  }
  const buildLog = await scanFileFor(join(dir, 'build.log'), Object.values(BUILD_LOG));
  return { state: 'done', status: 'failure', kind: failureKind(output, buildLog), ...timing };
}

/** In the order operators check them: an outage is never the package's fault, so it wins. */
function failureKind(output: Set<string>, buildLog: Set<string>): FailureKind {
  if (output.has(OUTPUT.repoOutage)) return 'repo-outage';
  if (buildLog.has(BUILD_LOG.missingModule)) return 'missing-dependency';
  if (buildLog.has(BUILD_LOG.illegalChar) || buildLog.has(BUILD_LOG.badToken)) return 'spec-needs-repair';
  if (output.has(OUTPUT.aiSkipped)) return 'ai-repair-skipped';
  if (output.has(OUTPUT.requirementsRepaired)) return 'requirements-repaired';
  return 'other';
}

async function exists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
