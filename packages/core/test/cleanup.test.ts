import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { runCleanup } from '../src/cleanup/cleanup.js';
import { DedupeStore } from '../src/dedupe/dedupe-store.js';
import { createTestSetup, type TestSetup } from './support/test-config.js';
import { connectTestRedis, deleteKeysWithPrefix, uniquePrefix } from './support/test-redis.js';

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
      [`submit-log-${stamp(NOW - 0.5 * DAY)}`, `submit-log-${stamp(NOW - 1.9 * DAY)}`, 'submit-log-notes', 'operator-notes.txt', 'old-stuff'].sort(),
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
    const dedupe = new DedupeStore({ redis, keyPrefix: `{${prefix}}`, ttlMs: DAY, now: () => clock });
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
