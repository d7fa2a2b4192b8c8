// A config file and data dir for CLI tests, on the test Redis under a fresh prefix, with the stand-in submit.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { inject } from 'vitest';
import { stringify } from 'yaml';
import { REPO_ROOT } from './cli-process.js';

export const STANDIN_SUBMIT = join(REPO_ROOT, 'packages/core/test/fixtures/bin/submit');

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
    submit: { command: STANDIN_SUBMIT, jobYaml: join(REPO_ROOT, 'config/update-pypi.yaml'), backoff: '100ms', ...submitOverrides },
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
        const redis = new Redis(inject('redisUrl'));
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', `*${prefix}*`, 'COUNT', 1000);
          cursor = next;
          if (keys.length > 0) await redis.del(...keys);
        } while (cursor !== '0');
        redis.disconnect();
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
