// The built code imports zod and yaml from one pre-bundled file each (scripts/bundle-vendor.mjs,
// `#zod` and `#yaml` in package.json); the sources and tests import the packages. Both must be the
// same thing: the installed version, every export, the same answers and the same errors.

import { beforeAll, describe, expect, test } from 'vitest';
import * as yaml from 'yaml';
import * as zod from 'zod';
import { REPO_ROOT, buildDist } from '@pypi-watch/test-utils';

type Zod = typeof zod;
type Yaml = typeof yaml;
let vendored: { zod: Zod; yaml: Yaml };

beforeAll(async () => {
  await buildDist();
  const load = (name: string) => import(/* @vite-ignore */ `${REPO_ROOT}/packages/core/dist/vendor/${name}.js`);
  vendored = { zod: (await load('zod')) as Zod, yaml: (await load('yaml')) as Yaml };
}, 180_000);

describe('vendored bundles', () => {
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
});
