// The built code imports zod and yaml from one pre-bundled file each (scripts/bundle-vendor.mjs,
// `#zod` and `#yaml` in package.json); the sources and tests import the packages. Both must be the
// same thing: the installed version, every export, the same answers and the same errors.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import * as yaml from 'yaml';
import * as zod from 'zod';
import { REPO_ROOT, buildDist } from '@pypi-watch/test-utils';

type Zod = typeof zod;
type Yaml = typeof yaml;
let vendored: { zod: Zod; yaml: Yaml };
const VENDOR = join(REPO_ROOT, 'packages/core/dist/vendor');
const fromCore = createRequire(join(REPO_ROOT, 'packages/core/package.json'));

beforeAll(async () => {
  await buildDist();
  const load = (name: string) => import(/* @vite-ignore */ join(VENDOR, `${name}.js`));
  vendored = { zod: (await load('zod')) as Zod, yaml: (await load('yaml')) as Yaml };
}, 180_000);

describe('vendored bundles', () => {
  test.each(['zod', 'yaml'])('%s: bundled from the installed version', (name) => {
    const { version } = fromCore(`${name}/package.json`) as { version: string };
    const firstLine = readFileSync(join(VENDOR, `${name}.js`), 'utf8').split('\n', 1)[0];
    expect(firstLine).toBe(`// ${name} ${version}, bundled by packages/core/scripts/bundle-vendor.mjs`);
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
});
