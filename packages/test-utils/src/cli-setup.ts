// A config file and data dir for CLI tests, on the test Redis under a fresh prefix, with the stand-in submit.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { inject } from 'vitest';
import { stringify } from 'yaml';
import { JOB_YAML, STANDIN_SUBMIT } from './paths.js';
import { connectTestRedis, deleteKeysWithPrefix } from './test-redis.js';

export interface CliSetup {
  readonly dir: string;
  readonly configFile: string;
  readonly prefix: string;
  readonly recordFile: string;
  readonly logDir: string;
  /** Environment for CLI children: the stand-in records every call here. */
  readonly env: NodeJS.ProcessEnv;
  remove(): Promise<void>;
}

export async function createCliSetup(config: Record<string, unknown> = {}, { embedded = false } = {}): Promise<CliSetup> {
  const dir = await mkdtemp(join(tmpdir(), 'pypi-watch-cli-'));
  const prefix = `test-${Math.random().toString(36).slice(2)}`;
  const { submit: submitOverrides, ...rest } = config as { submit?: Record<string, unknown> };
  const raw = {
    redis: embedded ? { prefix } : { url: inject('redisUrl'), prefix },
    dataDir: join(dir, 'var'),
    submit: { command: STANDIN_SUBMIT, jobYaml: JOB_YAML, backoff: '100ms', ...submitOverrides },
    ...rest,
  };
  const configFile = join(dir, 'pypi-watch.yaml');
  await writeFile(configFile, stringify(raw));
  const recordFile = join(dir, 'submit-calls.jsonl');
  return {
    dir,
    configFile,
    prefix,
    recordFile,
    logDir: join(dir, 'var', 'log'),
    env: { STANDIN_SUBMIT_RECORD: recordFile },
    remove: async () => {
      if (!embedded) {
        const redis = connectTestRedis();
        await deleteKeysWithPrefix(redis, prefix);
        redis.disconnect();
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Ids of the submit jobs of this setup that have not run yet (no worker runs in these tests). */
export async function pendingSubmitJobIds(setup: CliSetup): Promise<string[]> {
  const connection = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
  const queue = new Queue('submit', { connection, prefix: `{${setup.prefix}}` });
  try {
    return await queue.getRanges(['waiting', 'delayed', 'prioritized'], 0, -1);
  } finally {
    await queue.close();
    connection.disconnect();
  }
}
