// The built code imports zod, yaml, ioredis and pino from one pre-bundled file each
// (scripts/bundle-vendor.mjs, `#zod` … in package.json); the sources and tests import the packages.
// Both must be the same thing: the installed version, every export, the same answers and the same
// errors. Each bundle loads with V8's code cache made by the build (src/vendor/cached-bundle.ts),
// and a cache that does not fit is never used.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import * as ioredis from 'ioredis';
import * as pino from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as yaml from 'yaml';
import * as zod from 'zod';
import { REPO_ROOT, buildDist, resp, startFakeRedis, testRedisUrl, waitFor } from '@pypi-watch/test-utils';

type Zod = typeof zod;
type Yaml = typeof yaml;
type IORedis = typeof ioredis;
type Pino = typeof pino;
let vendored: { zod: Zod; yaml: Yaml; ioredis: IORedis; pino: Pino };
const NAMES = ['zod', 'yaml', 'ioredis', 'pino'] as const;
const VENDOR = join(REPO_ROOT, 'packages/core/dist/vendor');
const fromCore = createRequire(join(REPO_ROOT, 'packages/core/package.json'));
const scratch = mkdtempSync(join(tmpdir(), 'vendor-bundles-'));

beforeAll(async () => {
  await buildDist();
  const load = (name: string) => import(/* @vite-ignore */ join(VENDOR, `${name}.js`));
  vendored = {
    zod: (await load('zod')) as Zod,
    yaml: (await load('yaml')) as Yaml,
    ioredis: (await load('ioredis')) as IORedis,
    pino: (await load('pino')) as Pino,
  };
}, 180_000);

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const LOADER = JSON.stringify(join(VENDOR, 'cached-bundle.js'));

/** Runs `code` (an ES module) in a fresh node, as a command starts: no flags, nothing of this process. */
function freshNode(code: string): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, ['--input-type=module', '-e', code], {
    cwd: scratch,
    encoding: 'utf8',
    env: { PATH: process.env.PATH },
  });
}

/** What `code` printed, run as freshNode runs it; throws with its stderr when it fails. */
function freshNodeOutput(code: string): string {
  const run = freshNode(code);
  if (run.status !== 0) throw new Error(`node exited ${String(run.status)}: ${run.stderr}`);
  return run.stdout;
}

describe('vendored bundles', () => {
  test.each(NAMES)('%s: bundled from the installed version', (name) => {
    const { version } = fromCore(`${name}/package.json`) as { version: string };
    for (const file of [`${name}.js`, `${name}.cjs`]) {
      const firstLine = readFileSync(join(VENDOR, file), 'utf8').split('\n', 1)[0];
      expect(firstLine, file).toBe(`// ${name} ${version}, bundled by packages/core/scripts/bundle-vendor.mjs`);
    }
  });

  test('a command compiles every bundle from the cache the build made', () => {
    const answer = freshNodeOutput(
      [
        `import { loadedFromCache } from ${LOADER};`,
        ...NAMES.map((name) => `await import(${JSON.stringify(join(VENDOR, `${name}.js`))});`),
        `console.log(JSON.stringify(${JSON.stringify(NAMES)}.map((name) => loadedFromCache(${JSON.stringify(VENDOR)} + '/' + name + '.cjs'))));`,
      ].join('\n'),
    );
    expect(JSON.parse(answer)).toEqual([true, true, true, true]);
  });

  test('a cache made from other bytes is not used, even of the same length (V8 checks only the length)', () => {
    // A bundle whose code changed but not its length, beside the cache of the old one.
    const bundle = join(scratch, 'answer.cjs');
    writeFileSync(bundle, 'module.exports = { answer: () => "old" };\n');
    const warm = `import { loadCachedBundle, writeBundleCaches } from ${LOADER};\nloadCachedBundle(${JSON.stringify(bundle)}).answer();\nwriteBundleCaches();`;
    freshNodeOutput(warm);
    const read = `import { loadCachedBundle, loadedFromCache } from ${LOADER};\nconst { answer } = loadCachedBundle(${JSON.stringify(bundle)});\nconsole.log(answer(), loadedFromCache(${JSON.stringify(bundle)}));`;
    expect(freshNodeOutput(read).trim()).toBe('old true');
    writeFileSync(bundle, 'module.exports = { answer: () => "new" };\n');
    expect(freshNodeOutput(read).trim()).toBe('new false');
    // A damaged cache of the right bundle: a release V8 checks no checksum of its own, and would crash
    // or run the damaged bytecode. Bytes flipped past V8's header (which V8 does check) are refused too.
    writeFileSync(bundle, 'module.exports = { answer: () => "old" };\n');
    expect(freshNodeOutput(read).trim()).toBe('old true');
    const cache = readFileSync(`${bundle}.cache`);
    for (const offset of [64 + 40, cache.length - 8]) {
      const damaged = Buffer.from(cache);
      for (let index = offset; index < offset + 4; index++) damaged[index] = damaged[index]! ^ 0xff;
      writeFileSync(`${bundle}.cache`, damaged);
      expect(freshNodeOutput(read).trim(), `flipped at ${offset}`).toBe('old false');
    }
  });

  test('zod: the installed version, every export, the same parse and the same issues', () => {
    expect(Object.keys(vendored.zod).sort()).toEqual(Object.keys(zod).sort());
    expect(vendored.zod.z.core.version).toEqual(zod.z.core.version);
    const schema = (z: Zod['z']) => z.strictObject({ every: z.string().regex(/^\d+m$/), count: z.number().int().default(3) });
    expect(schema(vendored.zod.z).parse({ every: '5m' })).toEqual({ every: '5m', count: 3 });
    const issues = (z: Zod['z']) => schema(z).safeParse({ every: 'soon', extra: 1 }).error?.issues;
    expect(issues(vendored.zod.z)).toEqual(issues(zod.z));
    expect(issues(vendored.zod.z)?.length).toBe(2);
  });

  test('yaml: every export, the same documents, and parse errors of its own class', () => {
    expect(Object.keys(vendored.yaml).sort()).toEqual(Object.keys(yaml).sort());
    const text = 'submit:\n  command: /usr/bin/submit\n  env: {A: "1", B: [x, y]}\nanchors: &a {k: v}\nref: *a\n';
    expect(vendored.yaml.parse(text)).toEqual(yaml.parse(text));
    expect(vendored.yaml.stringify({ a: [1, 'two', { three: null }] })).toBe(yaml.stringify({ a: [1, 'two', { three: null }] }));
    const bad = 'a: [1, 2\nb: c';
    expect(() => vendored.yaml.parse(bad)).toThrow(vendored.yaml.YAMLParseError);
    const message = (parse: (text: string) => unknown) => {
      try {
        parse(bad);
      } catch (error) {
        return (error as Error).message;
      }
      return undefined;
    };
    expect(message(vendored.yaml.parse)).toBe(message(yaml.parse));
    expect(message(yaml.parse)).toMatch(/flow sequence/i);
  });

  test("yaml: its Node build, whose warnings are process warnings (as `import 'yaml'` gives them)", async () => {
    const warnings: Error[] = [];
    const listener = (warning: Error) => warnings.push(warning);
    process.on('warning', listener);
    try {
      expect(vendored.yaml.parse('a: !unknown-tag x')).toEqual({ a: 'x' });
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', listener);
    }
    expect(warnings.map((warning) => [warning.name, (warning as Error & { code?: string }).code])).toEqual([
      ['YAMLWarning', 'TAG_RESOLVE_FAILED'],
    ]);
  });

  test('ioredis: every export, and a client of its own classes that talks to Redis and fails with ReplyError', async () => {
    // Less `__esModule`: Node's import finds the interop marker in ioredis's source, with no value behind it.
    expect(Object.keys(vendored.ioredis).sort()).toEqual(
      Object.keys(ioredis)
        .filter((key) => key !== '__esModule')
        .sort(),
    );
    expect((ioredis as Record<string, unknown>).__esModule).toBeUndefined();
    const client = new vendored.ioredis.Redis(testRedisUrl(), { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await client.connect();
      expect(await client.ping()).toBe('PONG');
      const error = await client.call('no-such-command').catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(vendored.ioredis.ReplyError);
      expect((error as Error).name).toBe('ReplyError');
      expect((error as Error).message).toMatch(/unknown command/i);
      expect(client).toBeInstanceOf(vendored.ioredis.Redis);
      expect(client).not.toBeInstanceOf(ioredis.Redis);
    } finally {
      client.disconnect();
    }
  });

  test("zod: English is the one locale, and nothing of pypi-watch's asks for another", () => {
    expect(Object.keys(vendored.zod.z.locales)).toEqual(['en']);
    expect(vendored.zod.z.locales.en().localeError).toBeTypeOf('function');
    const search = spawnSync('git', ['grep', '-l', '-E', 'locales\\.|z\\.config\\(', '--', 'packages/*/src', 'apps/*/src'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    });
    // git grep: 1 when nothing matched.
    expect([search.status, search.stdout]).toEqual([1, '']);
  });

  test('pino: a transport fails at once (it would run files by path in a worker thread the bundle has not)', () => {
    expect(() => vendored.pino.transport({ target: 'pino/file' })).toThrow(/transports are not available/);
    expect(() => vendored.pino.pino({ transport: { target: 'pino/file' } })).toThrow(/transports are not available/);
  });

  test("ioredis: tells Redis its own version (CLIENT SETINFO), not the bundle's package's", async () => {
    // The run's redis-server (7.0) has no SETINFO; a stand-in records what the client sends.
    const { version } = fromCore('ioredis/package.json') as { version: string };
    const server = await startFakeRedis((args) =>
      args[0]?.toLowerCase() === 'info' ? resp.bulk('redis_version:7.2.0\r\nloading:0\r\n') : resp.simple('OK'),
    );
    const client = new vendored.ioredis.Redis({ host: '127.0.0.1', port: server.port, lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await client.connect();
      const libVer = () => server.commands.find(([, sub, field]) => sub?.toLowerCase() === 'setinfo' && field?.toLowerCase() === 'lib-ver');
      await waitFor(() => libVer() !== undefined);
      expect(libVer()?.at(-1)).toBe(version);
    } finally {
      client.disconnect();
      await server.close();
    }
  });

  test('pino: every export, and the same line for the same call (levels, redaction, serializers)', () => {
    expect(Object.keys(vendored.pino).sort()).toEqual(Object.keys(pino).sort());
    const line = (make: Pino['pino']) => {
      const lines: string[] = [];
      const out = new Writable({ write: (chunk: Buffer, _encoding, done) => void (lines.push(chunk.toString()), done()) });
      const logger = make({ base: { app: 'x' }, timestamp: false, redact: { paths: ['*.token'], censor: '[REDACTED]' } }, out);
      logger.child({ job: 1 }).warn({ auth: { token: 'secret' }, err: new TypeError('bad') }, 'hello %s', 'there');
      logger.debug('not at info');
      return lines
        .map((text) => JSON.parse(text) as Record<string, unknown>)
        .map(({ err, ...rest }) => ({ ...rest, err: { ...(err as object), stack: undefined } }));
    };
    expect(line(vendored.pino.pino)).toEqual(line(pino.pino));
    expect(line(vendored.pino.pino)).toEqual([
      expect.objectContaining({
        level: 40,
        app: 'x',
        job: 1,
        auth: { token: '[REDACTED]' },
        msg: 'hello there',
        err: expect.objectContaining({ type: 'TypeError', message: 'bad' }),
      }),
    ]);
  });

  test("pino: the built logger writes to stderr through the bundle's sonic-boom, redacted, with ISO times", () => {
    const logger = JSON.stringify(join(REPO_ROOT, 'packages/core/dist/logging/logger.js'));
    const code = [
      `import { createLogger } from ${logger};`,
      `const log = createLogger({ destination: 'stderr', format: 'json', base: { app: 'x' }, secrets: ['s3cret-value'] });`,
      `log.warn({ token: 'abc', url: 'redis://u:s3cret-value@host' }, 'hello');`,
      `log.info('second');`,
    ].join('\n');
    const child = freshNode(code);
    expect(child.status, child.stderr).toBe(0);
    const lines = child.stderr
      .trim()
      .split('\n')
      .map((text) => JSON.parse(text) as Record<string, unknown>);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ level: 40, app: 'x', token: '[REDACTED]', url: 'redis://u:[REDACTED]@host', msg: 'hello' });
    expect(String(lines[0]?.time)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(child.stdout).toBe('');
  });
});
