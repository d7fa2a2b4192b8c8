// `pypi-watch enqueue NAME[==VERSION]... [-l FILE]`: queue submits now, as one batch.

import { readFile } from 'node:fs/promises';
import { queueBatch, parsePackageArgs, parsePackageList, type PackageRequest, type RejectedRequest, UsageError } from '@pypi-watch/core';
import { commandContext, openCommandRuntime } from '../context.js';
import { progressBar } from '../progress-bar.js';

/** Submit jobs above which `enqueue` shows a progress bar: more than one addBulk chunk (1000). */
const LARGE_BATCH_JOBS = 1001;

export async function enqueueCommand(specs: string[], options: { config?: string; list?: string[] }): Promise<number> {
  const context = commandContext(options.config, 'oneshot', 'cli');
  const requests: PackageRequest[] = [];
  const rejected: RejectedRequest[] = [];
  const collect = (parsed: { requests: PackageRequest[]; rejected: RejectedRequest[] }): void => {
    requests.push(...parsed.requests);
    rejected.push(...parsed.rejected);
  };
  collect(parsePackageArgs(specs));
  for (const file of options.list ?? []) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new UsageError(`cannot read list file ${file}: ${(error as Error).message}`);
    }
    collect(parsePackageList(text, file));
  }
  if (requests.length === 0 && rejected.length === 0) throw new UsageError('nothing to enqueue: give NAME[==VERSION] arguments or -l FILE');

  // `raw` is already bounded and escaped (printable), so it is shown as is.
  for (const item of rejected) process.stderr.write(`skipped ${item.origin}: "${item.raw}": ${item.reason}\n`);
  if (requests.length > 0) {
    const unique = uniqueRequests(requests);
    const runtime = await openCommandRuntime(context, 'cli');
    try {
      const { stores } = runtime;
      // On a terminal, a bar for a list of more than one addBulk chunk; a few names queue at once.
      const bar = progressBar({ minTotal: LARGE_BATCH_JOBS });
      let result: Awaited<ReturnType<typeof queueBatch>>;
      try {
        // No latest wins here: what was asked for by name and version is what gets built.
        result = await queueBatch(
          {
            submitQueue: runtime.queues.submit,
            targets: stores.targets,
            batchLog: stores.batchLog,
            origin: 'enqueue',
            started: new Date(),
            countExistingWith: runtime.redis,
            decisions: stores.decisions,
            onProgress: bar.update,
          },
          unique,
        );
      } finally {
        bar.end();
      }
      const added = result.queuedJobs - result.alreadyQueued;
      process.stdout.write(
        `queued ${added} submit job(s) for ${unique.length} package(s) × ${stores.targets.all.length} target(s) ` +
          `in batch ${result.batchId ?? '-'}` +
          (result.alreadyQueued > 0 ? `; ${result.alreadyQueued} already queued` : '') +
          '\n',
      );
    } finally {
      await runtime.close();
    }
  }
  if (rejected.length > 0) process.stderr.write(`${rejected.length} invalid entr${rejected.length === 1 ? 'y' : 'ies'} skipped\n`);
  return rejected.length > 0 ? 1 : 0;
}

/** The same package twice in one call is one request (the first spelling wins). */
function uniqueRequests(requests: readonly PackageRequest[]): PackageRequest[] {
  const seen = new Set<string>();
  return requests.filter((request) => {
    const key = `${request.normalized}==${request.version ?? ''}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
