import { lstat, mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { runCleanup } from '../src/cleanup/cleanup.js';
import { DedupeStore } from '../src/dedupe/dedupe-store.js';
import { redisKeys } from '../src/redis/redis-keys.js';
import { captureLogs, createTestSetup, type TestSetup, connectTestRedis, deleteKeysWithPrefix, uniquePrefix } from '@pypi-watch/test-utils';

const setups: TestSetup[] = [];
afterEach(async () => {
  for (const setup of setups.splice(0)) await setup.remove();
});

const NOW = new Date(2026, 10, 25, 12, 0, 0).getTime(); // local time, like batch folder names
const DAY = 86_400_000;

function stamp(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

async function layout(logDir: string, updateListDir: string): Promise<void> {
  await mkdir(logDir, { recursive: true });
  await mkdir(updateListDir, { recursive: true });
  for (const age of [0.5, 1.9, 2.1, 5]) {
    const dir = join(logDir, `submit-log-${stamp(NOW - age * DAY)}`);
    await mkdir(dir);
    await writeFile(join(dir, 'submit-log'), 'x\n');
  }
  // Not ours: must survive whatever their age.
  await mkdir(join(logDir, 'submit-log-notes'));
  await writeFile(join(logDir, 'operator-notes.txt'), 'keep\n');
  await mkdir(join(logDir, 'old-stuff'));
  for (let i = 0; i < 13; i++) await writeFile(join(updateListDir, `pypi_update_202611${String(10 + i)}093000.txt`), 'pkg\n');
  await writeFile(join(updateListDir, 'pypi_update_latest.txt'), 'keep\n');
  await writeFile(join(updateListDir, 'README'), 'keep\n');
}

describe('cleanup', () => {
  test('removes batch folders older than maxAge and surplus update lists, nothing else', async () => {
    const setup = await createTestSetup();
    setups.push(setup);
    const { logDir, updateListDir } = setup.config.paths;
    await layout(logDir, updateListDir);

    const dry = await runCleanup({ logDir, updateListDir, keepUpdateLists: 10, maxAgeMs: 2 * DAY, dryRun: true, now: () => NOW });
    expect(dry.removedBatches.map((p) => p.split('/').at(-1))).toEqual(
      expect.arrayContaining([`submit-log-${stamp(NOW - 2.1 * DAY)}`, `submit-log-${stamp(NOW - 5 * DAY)}`]),
    );
    expect(dry.removedBatches).toHaveLength(2);
    expect(dry.removedUpdateLists).toHaveLength(3);
    expect((await readdir(logDir)).length).toBe(7); // dry run removed nothing
    expect((await readdir(updateListDir)).length).toBe(15);

    const real = await runCleanup({ logDir, updateListDir, keepUpdateLists: 10, maxAgeMs: 2 * DAY, now: () => NOW });
    expect(real.removedBatches.sort()).toEqual(dry.removedBatches.sort());
    expect((await readdir(logDir)).sort()).toEqual(
      [
        `submit-log-${stamp(NOW - 0.5 * DAY)}`,
        `submit-log-${stamp(NOW - 1.9 * DAY)}`,
        'submit-log-notes',
        'operator-notes.txt',
        'old-stuff',
      ].sort(),
    );
    const lists = (await readdir(updateListDir)).sort();
    expect(lists).toContain('pypi_update_latest.txt');
    expect(lists).toContain('README');
    expect(lists.filter((f) => /^pypi_update_\d{14}\.txt$/.test(f))).toEqual(
      Array.from({ length: 10 }, (_, i) => `pypi_update_202611${String(13 + i)}093000.txt`),
    );
  });

  test('trims expired dedupe entries and keeps live ones', async () => {
    const redis = connectTestRedis();
    const prefix = uniquePrefix();
    let clock = NOW;
    const dedupe = new DedupeStore({ redis, keys: redisKeys(prefix), ttlMs: DAY, now: () => clock });
    await dedupe.markSeen(['old==1']);
    clock += 2 * DAY;
    await dedupe.markSeen(['new==1']);
    const setup = await createTestSetup();
    setups.push(setup);
    const result = await runCleanup({ ...setup.config.paths, maxAgeMs: DAY, dedupe, now: () => clock });
    expect(result.expiredDedupe).toBe(1);
    expect(await dedupe.size()).toBe(1);
    expect([...(await dedupe.filterUnseen(['old==1', 'new==1']))]).toEqual(['old==1']);
    await deleteKeysWithPrefix(redis, prefix);
    redis.disconnect();
  });
});

describe('cleanup: each item fails alone', () => {
  test('a dangling symlink named like an old batch is removed (the link) and every other prune still runs', async () => {
    const setup = await createTestSetup();
    setups.push(setup);
    const { logDir, updateListDir } = setup.config.paths;
    await layout(logDir, updateListDir);
    const dangling = join(logDir, `submit-log-${stamp(NOW - 3 * DAY)}`);
    await symlink('/nowhere/at/all', dangling);

    const result = await runCleanup({ logDir, updateListDir, keepUpdateLists: 10, maxAgeMs: 2 * DAY, now: () => NOW });
    expect(result.failures).toBe(0);
    expect(result.removedBatches).toContain(dangling);
    expect(result.removedBatches).toHaveLength(3);
    await expect(lstat(dangling)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(result.removedUpdateLists).toHaveLength(3);
  });

  test('a symlink to a folder outside logDir: the link goes, the folder it points at survives', async () => {
    const setup = await createTestSetup();
    setups.push(setup);
    const { logDir, updateListDir } = setup.config.paths;
    await layout(logDir, updateListDir);
    const outside = join(setup.dir, 'precious');
    await mkdir(join(outside, 'inner'), { recursive: true });
    await writeFile(join(outside, 'inner', 'data'), 'keep me\n');
    const link = join(logDir, `submit-log-${stamp(NOW - 4 * DAY)}`);
    await symlink(outside, link);

    const result = await runCleanup({ logDir, updateListDir, keepUpdateLists: 10, maxAgeMs: 2 * DAY, now: () => NOW });
    expect(result.failures).toBe(0);
    expect(result.removedBatches).toContain(link);
    await expect(lstat(link)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await readFile(join(outside, 'inner', 'data'), 'utf8')).toBe('keep me\n');
  });

  test('two cleanups racing on one folder both succeed and everything old is gone', async () => {
    const setup = await createTestSetup();
    setups.push(setup);
    const { updateListDir } = setup.config.paths;
    // Several rounds: the race is timing-dependent (about half the rounds hit ENOENT before the fix).
    for (let round = 0; round < 6; round++) {
      const logDir = join(setup.dir, `log-${round}`);
      await layout(logDir, updateListDir);
      // Old batches of uneven sizes, so one run overtakes the other and meets folders already gone.
      for (let i = 0; i < 100; i++) {
        const dir = join(logDir, `submit-log-${stamp(NOW - 3 * DAY - i * 1000)}`);
        await mkdir(dir);
        for (let f = 0; f < (i % 7) * 3; f++) await writeFile(join(dir, `file-${f}`), 'x\n');
      }
      const options = { logDir, updateListDir, keepUpdateLists: 10, maxAgeMs: 2 * DAY, now: () => NOW };
      const first = runCleanup(options);
      await new Promise((resolve) => setTimeout(resolve, 3));
      const [a, b] = await Promise.all([first, runCleanup(options)]);
      expect(a.failures + b.failures).toBe(0);
      // Every old batch was removed by one of them (ENOENT from the other is no error, and no removal).
      expect(new Set([...a.removedBatches, ...b.removedBatches]).size).toBe(102);
      expect((await readdir(logDir)).sort()).toEqual(
        [
          `submit-log-${stamp(NOW - 0.5 * DAY)}`,
          `submit-log-${stamp(NOW - 1.9 * DAY)}`,
          'submit-log-notes',
          'operator-notes.txt',
          'old-stuff',
        ].sort(),
      );
    }
    expect((await readdir(updateListDir)).filter((f) => /^pypi_update_\d{14}\.txt$/.test(f))).toHaveLength(10);
  });

  test('a prune kind that fails is logged and counted; the others still run', async () => {
    const setup = await createTestSetup();
    setups.push(setup);
    const { logDir, updateListDir } = setup.config.paths;
    await layout(logDir, updateListDir);
    // Update lists cannot be listed (a file where the folder should be), and Redis is gone.
    const notAFolder = join(setup.dir, 'update-list-file');
    await writeFile(notAFolder, 'x\n');
    const redis = connectTestRedis();
    const dedupe = new DedupeStore({ redis, keys: redisKeys(uniquePrefix()), ttlMs: DAY });
    redis.disconnect();
    const logs = captureLogs();

    const result = await runCleanup({
      logDir,
      updateListDir: notAFolder,
      keepUpdateLists: 10,
      maxAgeMs: 2 * DAY,
      dedupe,
      logger: logs.logger,
      now: () => NOW,
    });
    expect(result.failures).toBe(2);
    expect(result.removedBatches).toHaveLength(2);
    const warnings = logs.lines.filter((l) => l.msg === 'cleanup step failed');
    expect(warnings.map((l) => l.step).sort()).toEqual(['dedupe', 'update-lists']);
    expect(warnings.every((l) => typeof (l.err as { message?: string }).message === 'string')).toBe(true);
  });
});
