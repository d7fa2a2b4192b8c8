// Reads a farm result folder and says where the build is, and for a finished one, how it went.
// The markers are the ones operators' own script used (issue "Follow each release to its result").

import { FsGate } from './fs-gate.js';
import { MAX_MISSING_MODULES, MISSING_MODULE_CAPTURE_BYTES, MISSING_MODULE_NEEDLE, missingModulesIn } from './missing-modules.js';
import { openResultFolder, type ResultReadOptions } from './result-folder.js';
import { UnreadableResultError, type UnreadableReason } from '../errors.js';

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
  /** Final: the folder or a file in it is not safe to read (a FIFO, a symlink, outside the root, a hung mount). */
  | { readonly state: 'unreadable'; readonly reason: UnreadableReason; readonly file?: string }
  | {
      readonly state: 'done';
      readonly status: 'success' | 'failure';
      /** For a success: whether the built RPMs also installed. */
      readonly installed?: boolean;
      readonly kind?: FailureKind;
      /** From the folder's first file to `output`'s last write. */
      readonly buildDurationMs?: number;
      /** For a `missing-dependency` failure: the modules build.log names (valid dotted names, at most a few). */
      readonly missingModules?: readonly string[];
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

export interface ClassifyOptions extends Partial<ResultReadOptions> {
  /** The mapped local root the folder must resolve inside. @defaultValue the folder itself */
  readonly root?: string;
}

/**
 * The folder is hostile input (anyone on the farm writes to it): only regular files inside `root`
 * are read, and anything else ends as `unreadable` with its reason instead of being followed.
 */
export async function classifyResultFolder(dir: string, options: ClassifyOptions = {}): Promise<ResultState> {
  const read: ResultReadOptions = {
    gate: options.gate ?? new FsGate(),
    ...(options.maxScanBytes === undefined ? {} : { maxScanBytes: options.maxScanBytes }),
  };
  try {
    return await classify(dir, options.root ?? dir, read);
  } catch (error) {
    if (!(error instanceof UnreadableResultError)) throw error;
    return { state: 'unreadable', reason: error.reason, ...(error.file === undefined ? {} : { file: error.file }) };
  }
}

async function classify(dir: string, root: string, read: ResultReadOptions): Promise<ResultState> {
  const folder = await openResultFolder(dir, root, read);
  if (!folder) return { state: 'waiting' };
  const outputStat = await folder.file('output');
  if (!outputStat) return { state: 'running' };

  const output = await folder.scan('output', Object.values(OUTPUT));
  // Only its mtime is used: a job.yaml that is not a plain file just leaves the duration out.
  const started = await folder.file('job.yaml').catch((error: unknown) => {
    if (error instanceof UnreadableResultError && error.reason !== 'timeout') return undefined;
    throw error;
  });
  const buildDurationMs = started ? Math.max(0, Math.round(outputStat.mtimeMs - started.mtimeMs)) : undefined;
  const timing = buildDurationMs === undefined ? {} : { buildDurationMs };
  if (output.has(OUTPUT.success)) {
    return { state: 'done', status: 'success', installed: !output.has(OUTPUT.installFailed), ...timing };
  }
  const buildLog = await folder.scan('build.log', Object.values(BUILD_LOG));
  const kind = failureKind(output, buildLog);
  if (kind !== 'missing-dependency') return { state: 'done', status: 'failure', kind, ...timing };
  const captures = await folder.capture('build.log', MISSING_MODULE_NEEDLE, {
    captureBytes: MISSING_MODULE_CAPTURE_BYTES,
    // Room for repeats of one name and for garbage between the real ones.
    maxMatches: 4 * MAX_MISSING_MODULES,
  });
  return { state: 'done', status: 'failure', kind, missingModules: missingModulesIn(captures), ...timing };
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
