// A real config for tests: YAML written to a temp dir and loaded through loadConfig, on the test Redis.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadConfig, type Config } from '@pypi-watch/core';
import { JOB_YAML, STANDIN_SUBMIT } from './paths.js';
import { connectTestRedis, deleteKeysWithPrefix, testRedisUrl, uniquePrefix } from './test-redis.js';

export interface TestSetup {
  readonly dir: string;
  readonly configFile: string;
  readonly config: Config;
  readonly prefix: string;
  remove(): Promise<void>;
}

/**
 * `overrides` are config-file keys (as a user writes them), or a function of the temp dir giving them. Defaults point submit at the
 * stand-in, the data dir at a temp folder and Redis at the test server under a fresh prefix.
 */
export async function createTestSetup(
  overrides: Record<string, unknown> | ((dir: string) => Record<string, unknown>) = {},
  env: NodeJS.ProcessEnv = {},
): Promise<TestSetup> {
  const dir = await mkdtemp(join(tmpdir(), 'pypi-watch-test-'));
  const prefix = uniquePrefix();
  const base = {
    redis: { url: testRedisUrl(), prefix },
    dataDir: join(dir, 'var'),
    submit: { command: STANDIN_SUBMIT, jobYaml: JOB_YAML, backoff: '100ms' },
  };
  const raw = deepMerge(base, typeof overrides === 'function' ? overrides(dir) : overrides);
  const configFile = join(dir, 'pypi-watch.yaml');
  await writeFile(configFile, stringify(raw));
  const config = loadConfig({ file: configFile, env, cwd: dir });
  return { dir, configFile, config, prefix, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Deletes a TestSetup's keys, then its dir (the setup's own remove() takes only its dir). */
export async function removeTestSetup(setup: TestSetup): Promise<void> {
  const redis = connectTestRedis();
  try {
    await deleteKeysWithPrefix(redis, setup.prefix);
  } finally {
    redis.disconnect();
  }
  await setup.remove();
}

function deepMerge(base: Record<string, unknown>, extra: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const current = out[key];
    out[key] = isPlainObject(current) && isPlainObject(value) ? deepMerge(current, value) : value;
  }
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
