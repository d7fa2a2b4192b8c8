import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { InvalidBatchRecordError, ConfigError } from '../src/errors.js';
import { pruneUpdateLists, updateListName, writeUpdateList } from '../src/batch/update-list.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pypi-watch-update-list-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const AT = new Date(2026, 10, 25, 13, 15, 0);

describe('writeUpdateList', () => {
  test('writes one name a line to pypi_update_<local time>.txt', async () => {
    const dir = join(await tempDir(), 'lists');
    const path = await writeUpdateList(dir, ['requests', 'Zope.Interface', 'numpy'], AT);
    expect(path).toBe(join(dir, 'pypi_update_20261125131500.txt'));
    expect(await readFile(join(dir, 'pypi_update_20261125131500.txt'), 'utf8')).toBe('requests\nZope.Interface\nnumpy\n');
    // Atomic write: nothing else left in the folder.
    expect(await readdir(dir)).toEqual(['pypi_update_20261125131500.txt']);
  });

  test('writes nothing for no names', async () => {
    const dir = await tempDir();
    expect(await writeUpdateList(dir, [], AT)).toBeUndefined();
    expect(await readdir(dir)).toEqual([]);
  });

  test('rejects a name that would add lines, and writes nothing', async () => {
    const dir = await tempDir();
    await expect(writeUpdateList(dir, ['requests', 'evil\nrm -rf'], AT)).rejects.toThrow(InvalidBatchRecordError);
    expect(await readdir(dir)).toEqual([]);
  });

  test('updateListName pads every field', () => {
    expect(updateListName(new Date(2027, 0, 2, 3, 4, 5))).toBe('pypi_update_20270102030405.txt');
  });
});

describe('pruneUpdateLists', () => {
  test('keeps the newest lists by name and touches nothing else', async () => {
    const dir = await tempDir();
    const lists = [
      'pypi_update_20261125100000.txt',
      'pypi_update_20261125103000.txt',
      'pypi_update_20261124233000.txt',
      'pypi_update_20261125110000.txt',
    ];
    const others = ['pypi_update_123.txt', 'pypi_update_20261101000000.txt.bak', 'xpypi_update_20261101000000.txt', 'notes.txt'];
    for (const name of [...lists, ...others]) await writeFile(join(dir, name), 'x\n');
    // A folder with a list's name is not a list.
    await mkdir(join(dir, 'pypi_update_20200101000000.txt'));

    const removed = await pruneUpdateLists(dir, 2);

    expect(removed).toEqual([join(dir, 'pypi_update_20261125100000.txt'), join(dir, 'pypi_update_20261124233000.txt')]);
    expect((await readdir(dir)).sort()).toEqual(
      ['pypi_update_20261125103000.txt', 'pypi_update_20261125110000.txt', 'pypi_update_20200101000000.txt', ...others].sort(),
    );
  });

  test('dry run reports without removing', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'pypi_update_20261125100000.txt'), 'x\n');
    await writeFile(join(dir, 'pypi_update_20261125110000.txt'), 'x\n');
    expect(await pruneUpdateLists(dir, 1, { dryRun: true })).toEqual([join(dir, 'pypi_update_20261125100000.txt')]);
    expect(await readdir(dir)).toHaveLength(2);
  });

  test('keep 0 removes every list; a missing folder removes nothing', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'pypi_update_20261125100000.txt'), 'x\n');
    expect(await pruneUpdateLists(dir, 0)).toHaveLength(1);
    expect(await pruneUpdateLists(join(dir, 'absent'), 10)).toEqual([]);
  });

  test('rejects a negative or fractional keep', async () => {
    const dir = await tempDir();
    await expect(pruneUpdateLists(dir, -1)).rejects.toThrow(ConfigError);
    await expect(pruneUpdateLists(dir, 1.5)).rejects.toThrow(ConfigError);
  });
});
