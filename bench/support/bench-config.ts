// A real pypi-watch config for one measurement, written and loaded the way test-config.ts does it:
// a YAML file (JSON is YAML) through loadConfig, on the run's Redis under a fresh prefix.

import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfig, type Config } from '../../packages/core/src/index.js';
import { JOB_YAML, STANDIN_SUBMIT } from '@pypi-watch/test-utils';
import type { BenchContext } from './bench-context.js';

export interface BenchSetup {
  readonly dir: string;
  readonly configFile: string;
  readonly config: Config;
  readonly prefix: string;
}

/** `overrides` are config-file keys as a user writes them, merged over the bench defaults. */
export async function writeBenchConfig(context: BenchContext, name: string, overrides: Record<string, unknown> = {}): Promise<BenchSetup> {
  const prefix = `bench-${name}-${randomUUID().slice(0, 8)}`;
  const dir = join(context.dir, prefix);
  await mkdir(dir, { recursive: true });
  const base = {
    redis: { url: context.redis.url, prefix },
    dataDir: join(dir, 'var'),
    submit: { command: STANDIN_SUBMIT, jobYaml: JOB_YAML, backoff: '100ms' },
    log: { level: 'info' },
  };
  const configFile = join(dir, 'pypi-watch.yaml');
  await writeFile(configFile, JSON.stringify(merge(base, overrides), null, 2));
  // No environment: a REDIS_URL or LOG_LEVEL in the caller's shell must not move the bench.
  const config = loadConfig({ file: configFile, env: {}, cwd: dir });
  return { dir, configFile, config, prefix };
}

function merge(base: Record<string, unknown>, extra: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const current = out[key];
    out[key] = isPlainObject(current) && isPlainObject(value) ? merge(current, value) : value;
  }
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
