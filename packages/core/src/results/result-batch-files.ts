// The result files beside a batch's submit logs, as the operators' result script used to write them:
// result-succ-list (`NAME  RESULT_ROOT`), result-fail-list (`NAME  KIND  RESULT_ROOT`), result.log (counts).

import { randomUUID } from 'node:crypto';
import { appendFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BatchLog } from '../batch/batch-log.js';
import type { BuildOutcome } from './build-outcome.js';

export const RESULT_SUCCESS_FILE = 'result-succ-list';
export const RESULT_FAILURE_FILE = 'result-fail-list';
export const RESULT_SUMMARY_FILE = 'result.log';

export async function appendResultToBatch(batchLog: BatchLog, outcome: BuildOutcome): Promise<void> {
  const dir = batchLog.dirFor(outcome.batchId);
  await mkdir(dir, { recursive: true });
  const line =
    outcome.status === 'success'
      ? `${outcome.name}  ${outcome.resultRoot}\n`
      : `${outcome.name}  ${outcome.kind ?? outcome.status}  ${outcome.resultRoot}\n`;
  await appendFile(join(dir, outcome.status === 'success' ? RESULT_SUCCESS_FILE : RESULT_FAILURE_FILE), line);
  await writeSummary(dir);
}

/** Rewrites result.log from the two lists (atomically), so it always matches them. */
async function writeSummary(dir: string): Promise<void> {
  const read = async (file: string): Promise<string[]> =>
    (await readFile(join(dir, file), 'utf8').catch(() => '')).split('\n').filter(Boolean);
  const successes = await read(RESULT_SUCCESS_FILE);
  const failures = await read(RESULT_FAILURE_FILE);
  const kinds = new Map<string, number>();
  for (const line of failures) {
    const kind = line.split(/\s{2}/)[1] ?? 'other';
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  }
  const total = successes.length + failures.length;
  const rate = total === 0 ? 0 : (100 * successes.length) / total;
  const lines = [
    `total: ${total}`,
    `success: ${successes.length}`,
    `failure: ${failures.length}`,
    `success_rate: ${rate.toFixed(1)}%`,
    ...[...kinds].sort((a, b) => b[1] - a[1]).map(([kind, count]) => `${kind}: ${count}`),
  ];
  // Unique per write: several result jobs of one process may rewrite the same summary at once.
  const temp = join(dir, `.${RESULT_SUMMARY_FILE}.${randomUUID()}.tmp`);
  await writeFile(temp, `${lines.join('\n')}\n`);
  await rename(temp, join(dir, RESULT_SUMMARY_FILE));
}
