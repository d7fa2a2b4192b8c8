import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { loadConfig } from '../src/config/load-config.js';
import { ConfigError } from '../src/errors.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pypi-watch-config-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function configFile(text: string, name = 'pypi-watch.yaml'): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  test('defaults match the documented ones', () => {
    const config = loadConfig({ env: {}, cwd: dir });
    expect(config.configFile).toBeUndefined();
    expect(config.redis).toEqual({ prefix: 'pypi-watch' });
    expect(config.dataDir).toBe(join(dir, 'var'));
    expect(config.source).toEqual({
      type: 'changelog',
      baseUrl: 'https://pypi.org',
      every: 1_800_000,
      maxPages: 200,
      pagePause: 500,
      timeout: 30_000,
      retries: 3,
    });
    expect(config.filters).toEqual({ prereleases: false, deny: [], allow: [], requireSdist: true, sdistWait: 14 * 86_400_000, minAge: 0 });
    expect(config.dedupe.ttl).toBe(30 * 86_400_000);
    expect(config.submit).toEqual({
      command: 'submit',
      jobYaml: join(dir, 'config/update-pypi.yaml'),
      targets: [{ os_arch: 'aarch64', testbox: 'vm-2p8g' }],
      params: { check_rpm_install: 'yes' },
      concurrency: 2,
      rateLimit: { max: 10, duration: 1000 },
      attempts: 5,
      backoff: 10_000,
      timeout: 600_000,
      dryRun: false,
      coalesce: true,
      lockDuration: 30_000,
      maxStalledCount: 3,
    });
    expect(config.paths).toEqual({
      logDir: join(dir, 'var/log'),
      updateListDir: join(dir, 'var/update_list'),
      keepUpdateLists: 10,
    });
    expect(config.cleanup).toEqual({ every: 3_600_000, maxAge: 2 * 86_400_000 });
    expect(config.dashboard).toMatchObject({ host: '127.0.0.1', port: 3000 });
  });

  test('finds ./pypi-watch.yaml, then PYPI_WATCH_CONFIG, then --config, in rising priority', async () => {
    await configFile('submit: { concurrency: 3 }\n');
    const viaEnv = await configFile('submit: { concurrency: 4 }\n', 'env.yaml');
    const viaFlag = await configFile('submit: { concurrency: 5 }\n', 'flag.yaml');
    expect(loadConfig({ env: {}, cwd: dir }).submit.concurrency).toBe(3);
    expect(loadConfig({ env: { PYPI_WATCH_CONFIG: viaEnv }, cwd: dir }).submit.concurrency).toBe(4);
    expect(loadConfig({ env: { PYPI_WATCH_CONFIG: viaEnv }, cwd: dir, file: viaFlag }).submit.concurrency).toBe(5);
  });

  test('parses durations in every documented form', async () => {
    const file = await configFile(
      'source: { every: 30m }\nsubmit: { backoff: 500ms, timeout: 90000, rateLimit: { duration: 2s } }\ncleanup: { maxAge: 2d, every: ' +
        '1.5h }\n',
    );
    const config = loadConfig({ file, env: {}, cwd: dir });
    expect(config.source.every).toBe(1_800_000);
    expect(config.submit.backoff).toBe(500);
    expect(config.submit.timeout).toBe(90_000);
    expect(config.submit.rateLimit.duration).toBe(2000);
    expect(config.cleanup).toEqual({ every: 5_400_000, maxAge: 172_800_000 });
  });

  test('environment overrides the file, and secrets come only from the environment', async () => {
    const file = await configFile('redis: { url: "redis://file:6379" }\n');
    const config = loadConfig({
      file,
      cwd: dir,
      env: {
        REDIS_URL: 'redis://env:6380',
        PYPI_BASE_URL: 'http://127.0.0.1:9999',
        AI_API_KEY: 'sk-secret',
        AI_BASE_URL: 'https://ai.example',
        AI_MODEL: 'model-x',
        DASHBOARD_USER: 'ops',
        DASHBOARD_HOST: '0.0.0.0',
        DASHBOARD_PASSWORD: 'pw',
        LOG_LEVEL: 'debug',
      },
    });
    expect(config.redis.url).toBe('redis://env:6380');
    expect(config.source.baseUrl).toBe('http://127.0.0.1:9999');
    expect(config.ai).toEqual({ baseUrl: 'https://ai.example', model: 'model-x' });
    expect(config.dashboard.user).toBe('ops');
    expect(config.dashboard.host).toBe('0.0.0.0');
    expect(config.log.level).toBe('debug');
    expect(config.secrets).toEqual({ aiApiKey: 'sk-secret', dashboardPassword: 'pw' });
  });

  test('a wrong value names the key, the value and what is allowed', async () => {
    const file = await configFile('submit:\n  concurrency: -1\n  backoff: soon\nsource: { type: atom }\n');
    const message = errorOf(() => loadConfig({ file, env: {}, cwd: dir })).message;
    expect(message).toContain(file);
    expect(message).toMatch(/submit\.concurrency: got -1; .*1/);
    expect(message).toMatch(/submit\.backoff: got "soon"; expected a duration like `500ms`/);
    expect(message).toMatch(/source\.type: got "atom"; .*"changelog".*"rss"/);
  });

  test('an unknown key is named with the keys allowed beside it', async () => {
    const file = await configFile('submit: { concurency: 2 }\ncolour: blue\n');
    const message = errorOf(() => loadConfig({ file, env: {}, cwd: dir })).message;
    expect(message).toMatch(/submit\.concurency: unknown key; allowed here: command, jobYaml, .*concurrency/);
    expect(message).toMatch(/colour: unknown key; allowed here: redis, dataDir/);
  });

  test('a secret in the file is refused with the variable to use instead', async () => {
    const file = await configFile('ai: { apiKey: sk-123 }\n');
    const message = errorOf(() => loadConfig({ file, env: {}, cwd: dir })).message;
    expect(message).toContain('AI_API_KEY');
    expect(message).not.toContain('sk-123');
  });

  test('a bad environment value names the variable and hides URL passwords', () => {
    const message = errorOf(() => loadConfig({ env: { REDIS_URL: 'http://user:hunter2@host' }, cwd: dir })).message;
    expect(message).toMatch(/redis\.url \(from REDIS_URL\)/);
    expect(message).not.toContain('hunter2');
  });

  test('unparsable YAML, a non-mapping and a missing --config file are clear errors', async () => {
    const broken = await configFile('submit: [unclosed\n', 'broken.yaml');
    expect(errorOf(() => loadConfig({ file: broken, env: {}, cwd: dir })).message).toMatch(/not valid YAML/);
    const list = await configFile('- a\n- b\n', 'list.yaml');
    expect(errorOf(() => loadConfig({ file: list, env: {}, cwd: dir })).message).toMatch(/must hold a mapping.*a list/);
    expect(errorOf(() => loadConfig({ file: 'nope.yaml', env: {}, cwd: dir })).message).toMatch(
      /nope\.yaml \(from --config\) does not exist/,
    );
  });

  test('submit targets and params are checked before they can become arguments', async () => {
    const file = await configFile('submit:\n  targets: [{ "os arch": x }]\n  params: { k: "--rm" }\n');
    const message = errorOf(() => loadConfig({ file, env: {}, cwd: dir })).message;
    expect(message).toMatch(/submit\.targets\.0\.os arch/);
    expect(message).toMatch(/submit\.params\.k: got "--rm"/);
  });

  test.each([
    ['targets', 'submit:\n  targets: [{ os_arch: aarch64, SCHED_HOST: evil.example }]\n', /submit\.targets\.0\.SCHED_HOST.*not allowed/],
    ['targets', 'submit:\n  targets: [{ os_arch: aarch64, my_token: x }]\n', /submit\.targets\.0\.my_token.*not allowed/],
    ['params', 'submit:\n  params: { base_url: "https://elsewhere/v1" }\n', /submit\.params\.base_url.*not allowed/],
    ['params', 'submit:\n  params: { api_key: k }\n', /submit\.params\.api_key.*not allowed/],
    ['params', 'submit:\n  params: { sched_port: "80" }\n', /submit\.params\.sched_port.*not allowed/],
    ['params', 'submit:\n  params: { lab: x, ai_model: y }\n', /submit\.params\.lab.*not allowed[\s\S]*submit\.params\.ai_model/],
    ['targets', 'submit:\n  targets: [{ repo_addr: other }]\n', /submit\.targets\.0\.repo_addr.*not allowed/],
  ])('a scheduler or secret key in submit.%s is a config error naming it', async (_where, yaml, expected) => {
    const file = await configFile(yaml);
    expect(errorOf(() => loadConfig({ file, env: {}, cwd: dir })).message).toMatch(expected);
  });
});
