// Missing modules from a hostile build log, and the PyPI project each one maps to.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadConfig } from '../src/config/load-config.js';
import { captureAfter, type ChunkReader } from '../src/results/file-scan.js';
import { classifyResultFolder } from '../src/results/result-classifier.js';
import { mapModuleToProject } from '../src/results/dependency-map.js';
import { capturesIn, MISSING_MODULE_NEEDLE, missingModulesIn, moduleNameIn } from '../src/results/missing-modules.js';

describe('missing modules in build.log', () => {
  test('every spelling Python prints, in log order, without duplicates', () => {
    const log = [
      "ModuleNotFoundError: No module named 'flit_core'",
      'ImportError: No module named yaml',
      'ModuleNotFoundError: No module named "google.protobuf"',
      "ModuleNotFoundError: No module named 'flit_core'",
      "ModuleNotFoundError: No module named 'setuptools_scm'; 'setuptools_scm' is not a package",
    ].join('\n');
    expect(missingModulesIn(capturesIn(log), 10)).toEqual(['flit_core', 'yaml', 'google.protobuf', 'setuptools_scm']);
    expect(moduleNameIn('foo\n')).toBe('foo');
    expect(moduleNameIn('foo.\n')).toBe('foo');
  });

  test('hostile names are not taken, and only a few are', () => {
    for (const bad of ["'../../etc'", "'a b'", "'x;rm -rf /'", "'1abc'", "'unterminated", "''", `'${'a'.repeat(500)}'`, "'a..b'", "'é'"]) {
      expect(moduleNameIn(bad), bad).toBeUndefined();
    }
    const many = Array.from({ length: 50 }, (_, i) => `No module named 'm${i}'`).join('\n');
    expect(missingModulesIn(capturesIn(many))).toEqual(['m0', 'm1', 'm2']);
  });
});

describe('module → PyPI project', () => {
  test('the exact name, normalized', () => {
    expect(mapModuleToProject('b_mod')).toMatchObject({ ok: true, project: 'b_mod', normalized: 'b-mod', via: 'name' });
  });

  test('the shipped aliases, full dotted names before the top-level package', () => {
    expect(mapModuleToProject('yaml')).toMatchObject({ normalized: 'pyyaml', via: 'alias' });
    expect(mapModuleToProject('PIL.Image')).toMatchObject({ normalized: 'pillow', via: 'alias' });
    expect(mapModuleToProject('google.protobuf.message')).toMatchObject({ normalized: 'google', via: 'top-level' });
    expect(mapModuleToProject('google.protobuf')).toMatchObject({ normalized: 'protobuf', via: 'alias' });
    expect(mapModuleToProject('sklearn.linear_model')).toMatchObject({ normalized: 'scikit-learn' });
    expect(mapModuleToProject('dateutil.parser')).toMatchObject({ normalized: 'python-dateutil' });
    expect(mapModuleToProject('flit_core.buildapi')).toMatchObject({ normalized: 'flit-core', via: 'alias' });
  });

  test('config aliases win over the shipped table', () => {
    expect(mapModuleToProject('yaml', { aliases: { yaml: 'ruamel.yaml' } })).toMatchObject({ normalized: 'ruamel-yaml' });
    expect(mapModuleToProject('foo.bar', { aliases: { foo: 'foo-tools' } })).toMatchObject({ normalized: 'foo-tools', via: 'alias' });
  });

  test('the allow file breaks the tie', () => {
    const allowNames = new Set(['google']);
    expect(mapModuleToProject('google.protobuf', { allowNames })).toMatchObject({ normalized: 'google', allowFile: true });
    expect(mapModuleToProject('yaml', { allowNames: new Set(['other']) })).toMatchObject({ normalized: 'pyyaml' });
  });

  test('unmappable modules say why', () => {
    expect(mapModuleToProject('_ctypes')).toEqual({ module: '_ctypes', ok: false, reason: 'not-on-pypi' });
    expect(mapModuleToProject('tkinter.ttk')).toMatchObject({ ok: false, reason: 'not-on-pypi' });
    expect(mapModuleToProject('_private_thing')).toEqual({ module: '_private_thing', ok: false, reason: 'no-project-name' });
    expect(mapModuleToProject('mypkg._version', { self: 'mypkg' })).toMatchObject({ ok: false, reason: 'own-module' });
  });
});

describe('reading the missing modules from a result folder', () => {
  test('a needle split across chunks is taken once, whole', async () => {
    const log = Buffer.from(`${'x'.repeat(37)}No module named 'split_mod'\n${'y'.repeat(90)}No module named tail_mod`);
    for (const chunkBytes of [1, 7, 16, 64, 4096]) {
      const read: ChunkReader = async (buffer, position, length) => log.copy(buffer, 0, position, Math.min(log.length, position + length));
      const captures = await captureAfter(read, MISSING_MODULE_NEEDLE, { maxBytes: 1 << 20, chunkBytes, captureBytes: 40, maxMatches: 10 });
      expect(missingModulesIn(captures), `chunk ${chunkBytes}`).toEqual(['split_mod', 'tail_mod']);
      expect(captures).toHaveLength(2);
    }
  });

  test('the classifier names the modules of a missing-dependency failure, through the hostile-safe reader', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pypi-watch-missing-'));
    try {
      await writeFile(join(dir, 'output'), 'error\n');
      await writeFile(join(dir, 'build.log'), "noise\nModuleNotFoundError: No module named 'flit_core'\nNo module named '../x'\n");
      expect(await classifyResultFolder(dir)).toMatchObject({
        status: 'failure',
        kind: 'missing-dependency',
        missingModules: ['flit_core'],
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('results.moduleAliases', () => {
  test('takes module names to project names and refuses anything else, naming the key', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pypi-watch-aliases-'));
    const load = async (aliases: string) => {
      const file = join(dir, 'c.yaml');
      await writeFile(file, `results:\n  moduleAliases: ${aliases}\n`);
      return loadConfig({ file, env: {}, cwd: dir });
    };
    try {
      expect((await load('{"foo.bar": foo-tools}')).results.moduleAliases).toEqual({ 'foo.bar': 'foo-tools' });
      expect(loadConfig({ env: {}, cwd: '/nonexistent-dir-for-defaults' }).results.moduleAliases).toEqual({});
      await expect(load('{"a b": x}')).rejects.toThrow(/results\.moduleAliases.*Python module name/s);
      await expect(load('{foo: -bad-}')).rejects.toThrow(/results\.moduleAliases.*PyPI project name/s);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
