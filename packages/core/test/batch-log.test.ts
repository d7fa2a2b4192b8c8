import { execa } from 'execa';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, test } from 'vitest';
import { InvalidBatchIdError, InvalidBatchRecordError } from '../src/errors.js';
import { BatchLog, batchIdFor, parseBatchTime, validateBatchId } from '../src/batch/batch-log.js';
import { writeUpdateList } from '../src/batch/update-list.js';

const REPO_ROOT = resolve(import.meta.dirname, '../../..');
const APPEND_WORKER = resolve(import.meta.dirname, 'fixtures/batch-append-worker.ts');
const BATCH = 'submit-log-20261125-131500';

/**
 * tsx's loader for `node --import`, from wherever the workspace installed it: packages/core does
 * not depend on tsx itself, and `--import tsx` would resolve from the child's cwd.
 */
function tsxLoader(): string {
  for (const base of [import.meta.url, join(REPO_ROOT, 'package.json'), join(REPO_ROOT, 'apps/cli/package.json')]) {
    try {
      return pathToFileURL(createRequire(base).resolve('tsx')).href;
    } catch {
      // Not installed there; try the next place.
    }
  }
  throw new Error('tsx is not installed anywhere in the workspace: the multi-process append test needs it');
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pypi-watch-batch-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

describe('batch ids', () => {
  test('batchIdFor uses the local time of the batch start', () => {
    expect(batchIdFor(new Date(2026, 10, 25, 13, 15, 0))).toBe(BATCH);
    expect(batchIdFor(new Date(2027, 0, 2, 3, 4, 5, 999))).toBe('submit-log-20270102-030405');
  });

  test('parseBatchTime reads it back, and only real batch names', () => {
    expect(parseBatchTime(BATCH)).toEqual(new Date(2026, 10, 25, 13, 15, 0));
    expect(parseBatchTime('submit-log-20261345-131500')).toBeUndefined();
    expect(parseBatchTime('submit-log-20260231-000000')).toBeUndefined();
    expect(parseBatchTime('pypi_update_20261125131500.txt')).toBeUndefined();
  });

  test.each([
    '../x',
    `${BATCH}/../../etc`,
    `../${BATCH}`,
    `${BATCH}\n`,
    `/${BATCH}`,
    '',
    'submit-log-2026112-131500',
    'submit-log-20261125-131500x',
  ])('validateBatchId rejects %j', (id) => {
    expect(() => validateBatchId(id)).toThrow(InvalidBatchIdError);
  });

  test('validateBatchId rejects non-strings and returns good ids unchanged', () => {
    expect(() => validateBatchId(20261125)).toThrow(InvalidBatchIdError);
    expect(validateBatchId(BATCH)).toBe(BATCH);
  });

  test('no method lets a hostile id reach the file system', async () => {
    const dir = await tempDir();
    const log = new BatchLog({ logDir: join(dir, 'logs') });
    await expect(log.create('../escape')).rejects.toThrow(InvalidBatchIdError);
    await expect(log.appendSuccess('../escape', 'requests', 'crystal.1')).rejects.toThrow(InvalidBatchIdError);
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('BatchLog', () => {
  test('writes the files in the formats operators scripts read', async () => {
    const dir = await tempDir();
    const log = new BatchLog({ logDir: join(dir, 'logs') });
    const batchDir = await log.create(BATCH);
    expect(batchDir).toBe(join(dir, 'logs', BATCH));

    await log.appendCommand(BATCH, {
      name: 'requests',
      command: ['submit', '/jobs/update-pypi.abc.yaml', 'repo_addr=requests', 'note=a b'],
      output: 'submit_id=1\r\nsubmit /jobs/update-pypi.abc.yaml, got job id=crystal.1\n',
      attempt: 2,
      at: new Date(2026, 10, 25, 13, 15, 7),
    });
    await log.appendSuccess(BATCH, 'requests', 'crystal.1', '/srv/result/rpmbuild-python-update/1');
    await log.appendSuccess(BATCH, 'numpy', 'crystal.2');

    const submitLog = await readFile(join(batchDir, 'submit-log'), 'utf8');
    expect(submitLog).toMatch(
      new RegExp(
        String.raw`^==> 2026-11-25T13:15:07\.000[+-]\d\d:\d\d requests attempt 2\n` +
          String.raw`\$ submit /jobs/update-pypi\.abc\.yaml repo_addr=requests 'note=a b'\n` +
          String.raw`submit_id=1\nsubmit /jobs/update-pypi\.abc\.yaml, got job id=crystal\.1\n\n$`,
      ),
    );
    expect(await readFile(join(batchDir, 'submit-succ-list'), 'utf8')).toBe('requests  crystal.1\nnumpy  crystal.2\n');
    expect(await readFile(join(batchDir, 'result_root_list'), 'utf8')).toBe('/srv/result/rpmbuild-python-update/1\n');
    // No failure yet, so no fail list.
    expect((await readdir(batchDir)).sort()).toEqual(['result_root_list', 'submit-log', 'submit-succ-list']);

    await log.appendFailure(BATCH, 'flask', 'the farm refused the job:\n  Invalid\tjob\u0000 ');
    expect(await readFile(join(batchDir, 'submit-fail-list'), 'utf8')).toBe('flask  the farm refused the job: Invalid job\n');
  });

  test('appends create the batch folder when another process has not yet', async () => {
    const dir = await tempDir();
    const log = new BatchLog({ logDir: dir });
    await log.appendFailure(BATCH, 'requests', 'timeout');
    expect(await readFile(join(dir, BATCH, 'submit-fail-list'), 'utf8')).toBe('requests  timeout\n');
  });

  test('rejects records that would break the one-a-line files', async () => {
    const dir = await tempDir();
    const log = new BatchLog({ logDir: dir });
    await expect(log.appendSuccess(BATCH, 'requests\nevil  crystal.9', 'crystal.1')).rejects.toThrow(InvalidBatchRecordError);
    await expect(log.appendSuccess(BATCH, 'requests', 'crystal.1\nevil  crystal.9')).rejects.toThrow(InvalidBatchRecordError);
    await expect(log.appendSuccess(BATCH, 'requests', 'crystal.1', '/srv/a b')).rejects.toThrow(InvalidBatchRecordError);
    await expect(log.appendFailure(BATCH, '../x', 'r')).rejects.toThrow(InvalidBatchRecordError);
    await expect(
      log.appendCommand(BATCH, { name: 'foo;rm -rf /', command: ['submit'], output: '', attempt: 1, at: new Date() }),
    ).rejects.toThrow(InvalidBatchRecordError);
  });

  test('records from concurrent processes never interleave', async () => {
    const dir = await tempDir();
    const workers = ['1', '2', '3'];
    const count = 500;
    const loader = tsxLoader();

    await Promise.all(
      workers.map((id) => execa('node', ['--import', loader, APPEND_WORKER, dir, BATCH, id, String(count)], { cwd: REPO_ROOT })),
    );

    const batchDir = join(dir, BATCH);
    const blocks = (await readFile(join(batchDir, 'submit-log'), 'utf8')).split(/^(?===> )/m);
    expect(blocks).toHaveLength(workers.length * count);
    const seen = new Set<string>();
    for (const block of blocks) {
      const header = /^==> \S+ (w(\d)-pkg(\d+)) attempt 1\n\$ submit \/jobs\/update-pypi\.yaml repo_addr=\1\n/.exec(block);
      expect(header, block.slice(0, 200)).not.toBeNull();
      const [, name = '', worker = '', record = ''] = header ?? [];
      const lines = block.slice(header?.[0].length).split('\n');
      // Output lines, then the blank line that ends the block.
      expect(lines.slice(-2)).toEqual(['', '']);
      const outputLines = lines.slice(0, -2);
      const expectedLines = 1 + ((Number(record) * 7 + Number(worker)) % 40);
      expect(outputLines).toHaveLength(expectedLines);
      outputLines.forEach((line, k) =>
        expect(line).toBe(`w${worker} r${record} line${k} ${'x'.repeat((Number(record) * 13 + k * 31) % 300)}`),
      );
      seen.add(name);
    }
    expect(seen.size).toBe(workers.length * count);

    const succ = (await readFile(join(batchDir, 'submit-succ-list'), 'utf8')).split('\n');
    expect(succ.pop()).toBe('');
    expect(succ).toHaveLength(workers.length * count);
    for (const line of succ) expect(line).toMatch(/^w(\d)-pkg(\d+) {2}crystal\.\1(?:0)\2$/);
    const roots = (await readFile(join(batchDir, 'result_root_list'), 'utf8')).split('\n');
    expect(roots.pop()).toBe('');
    for (const line of roots) expect(line).toMatch(/^\/srv\/result\/w\d-pkg(\d+)\/\1$/);
    const fails = (await readFile(join(batchDir, 'submit-fail-list'), 'utf8')).split('\n');
    expect(fails.pop()).toBe('');
    expect(fails).toHaveLength(workers.length * (count / 5));
    for (const line of fails) expect(line).toMatch(/^(w\d-pkg\d+) {2}reason for \1 second line$/);
  });
});

describe('a batch folder that is gone', () => {
  test('a record for a batch whose folder was removed while it was written creates the folder again (0700)', async () => {
    const logDir = join(await tempDir(), 'log');
    const log = new BatchLog({ logDir });
    await log.appendSuccess(BATCH, 'requests', 'z9.1');
    // cleanup (or an operator) removed it, and the rest of the batch is still being submitted.
    await rm(join(logDir, BATCH), { recursive: true });
    await log.appendSuccess(BATCH, 'numpy', 'z9.2');
    expect(await readFile(join(logDir, BATCH, 'submit-succ-list'), 'utf8')).toBe('numpy  z9.2\n');
    expect((await stat(join(logDir, BATCH))).mode & 0o777).toBe(0o700);
    await rm(logDir, { recursive: true });
    await log.appendFailure(BATCH, 'six', 'the farm refused the job');
    expect(await readFile(join(logDir, BATCH, 'submit-fail-list'), 'utf8')).toBe('six  the farm refused the job\n');
  });
});

describe('who may read what is written', () => {
  const mode = async (path: string): Promise<number> => (await stat(path)).mode & 0o777;

  test('batch folders are 0700 and their files 0600, not the umask default 0755 and 0644', async () => {
    const dir = await tempDir();
    const logDir = join(dir, 'log');
    const log = new BatchLog({ logDir });
    await log.appendCommand(BATCH, {
      name: 'requests',
      command: ['submit', 'job.yaml'],
      output: 'submit job.yaml, got job id=z9.1\n',
      attempt: 1,
      at: new Date(),
    });
    await log.appendSuccess(BATCH, 'requests', 'z9.1', '/srv/result/x/1');
    await log.appendFailure(BATCH, 'numpy', 'the farm refused the job');
    await log.create('submit-log-20261125-131501');

    expect(await mode(logDir)).toBe(0o700);
    expect(await mode(join(logDir, BATCH))).toBe(0o700);
    expect(await mode(join(logDir, 'submit-log-20261125-131501'))).toBe(0o700);
    const files = await readdir(join(logDir, BATCH));
    expect(files.sort()).toEqual(['result_root_list', 'submit-fail-list', 'submit-log', 'submit-succ-list']);
    for (const file of files) expect([file, await mode(join(logDir, BATCH, file))]).toEqual([file, 0o600]);
  });

  test('update lists are 0600 in a 0700 folder', async () => {
    const dir = await tempDir();
    const path = await writeUpdateList(join(dir, 'update_list'), ['requests'], new Date());
    expect(await mode(join(dir, 'update_list'))).toBe(0o700);
    expect(await mode(path ?? '')).toBe(0o600);
  });
});
