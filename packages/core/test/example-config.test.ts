import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, test } from 'vitest';
import { loadConfig } from '../src/config/load-config.js';
import { REPO_ROOT } from '@pypi-watch/test-utils';

describe('pypi-watch.example.yaml', () => {
  test('is valid and shows exactly the defaults', () => {
    const file = join(REPO_ROOT, 'pypi-watch.example.yaml');
    const fromExample = loadConfig({ file, env: {}, cwd: REPO_ROOT });
    const defaults = loadConfig({ env: {}, cwd: '/nonexistent-dir-for-defaults' });
    const strip = ({ configFile: _file, dataDir: _data, paths: _paths, submit, filters: _f, ...rest }: typeof defaults) => ({
      ...rest,
      submit: { ...submit, jobYaml: submit.jobYaml.replace(/^.*\/config\//, 'config/') },
    });
    expect(strip(fromExample)).toEqual(strip(defaults));
    expect(fromExample.filters).toEqual(defaults.filters);
  });

  test('documents every top-level key of the schema', () => {
    const text = readFileSync(join(REPO_ROOT, 'pypi-watch.example.yaml'), 'utf8');
    const keys = Object.keys(parse(text) as object);
    expect(keys).toEqual([
      'redis',
      'dataDir',
      'source',
      'filters',
      'dedupe',
      'submit',
      'paths',
      'cleanup',
      'results',
      'dashboard',
      'ai',
      'notify',
      'log',
      'shutdown',
    ]);
  });
});
