// Hostile names and versions from PyPI feeds and from package lists: rejected (reported, bounded and
// escaped) or passed to `submit` as one inert argv element. Nothing is executed, and a poll writes
// nowhere but paths.logDir and paths.updateListDir.

import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { batchIdFor } from '../src/batch/batch-log.js';
import { parsePackageArgs, parsePackageList } from '../src/release/package-list.js';
import { startWorkers, type WorkerSet } from '../src/workers/start-workers.js';
import { type FakeRelease, createPollHarness, type PollHarness, readSubmitCalls, waitFor } from '@pypi-watch/test-utils';

const harnesses: PollHarness[] = [];
const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  for (const h of harnesses.splice(0)) await h.close();
});

async function harness(type: 'changelog' | 'rss'): Promise<PollHarness> {
  const h = await createPollHarness(type);
  harnesses.push(h);
  return h;
}

/** Every file and folder under `dir`, relative to it. */
async function tree(dir: string): Promise<Set<string>> {
  const entries = await readdir(dir, { recursive: true }).catch(() => [] as string[]);
  return new Set(entries.map(String));
}

const MARKER = randomUUID();
const PWNED = join(tmpdir(), `pwned-${MARKER}`);

/** Names a feed or a list might carry to break out of argv, the file system or the log. */
const HOSTILE_NAMES: Record<string, string> = {
  'command substitution': `$(touch ${PWNED})`,
  backticks: `\`touch ${PWNED}\``,
  'command separator': `a;touch ${PWNED}`,
  pipe: 'a|sh',
  'and-and': 'a&&id',
  redirect: `a>${PWNED}`,
  'parent path': `../../pwned-${MARKER}`,
  'dot dot': '..',
  'absolute path': `/tmp/pwned-${MARKER}`,
  'NUL byte': 'numpy\u0000evil',
  newline: 'numpy\nrepo_addr=evil',
  'key=value': 'numpy=1',
  'leading dash': '-rf',
  'long option': '--help',
  space: 'two words',
  glob: 'nump*',
  '10,000 characters': 'x'.repeat(10_000),
  'Cyrillic a (U+0430)': 'p\u0430ndas',
  'Cyrillic e (U+0435)': 'r\u0435quests',
  'fullwidth letters': '\uff52\uff45\uff51\uff55\uff45\uff53\uff54\uff53',
  // Both fold to ASCII under Unicode case-insensitive matching (/iu): they must stay rejected.
  'Kelvin sign (U+212A)': '\u212Afka',
  'long s (U+017F)': '\u017Fix',
  'zero-width space': 'num\u200bpy',
  'right-to-left override': 'abc\u202Edef',
  'non-breaking hyphen': 'scikit\u2011learn',
};

/** Versions that try to turn into YAML or JSON structure, or out-size everything. */
const HOSTILE_VERSIONS: Record<string, string> = {
  'YAML key injection': '1.0\nrepo_addr: evil',
  'JSON object': '{"a":1}',
  'YAML tag': '!!python/object/apply:os.system ["id"]',
  'Ruby object tag': '!ruby/object:Gem::Installer',
  'YAML anchor': '&a 1.0',
  shell: `1.0;touch ${PWNED}`,
  'command substitution': `$(touch ${PWNED})`,
  'NUL byte': '1.0\u0000',
  'trailing space': '1.0 ',
  '10,000 characters': '1.'.repeat(5000),
  'fullwidth digits': '\uff11.\uff10',
};

/** Valid but unusual, to check they pass whole, as one word. */
const TRICKY_VALID: FakeRelease[] = [
  { name: 'A', version: '0' },
  { name: 'zope.interface', version: '1!2.0.post1+local.7' },
  { name: 'Foo_Bar-baz.9', version: '1.0' },
  { name: `z${'9'.repeat(198)}z`, version: '1.0' }, // the longest name accepted: 200 characters
];

/** All of them but NUL, which XML cannot carry at all (see the NUL test). */
function hostileReleases(): FakeRelease[] {
  return [
    ...Object.values(HOSTILE_NAMES).map((name) => ({ name, version: '1.0' })),
    ...Object.values(HOSTILE_VERSIONS).map((version, index) => ({ name: `ok-name-${index}`, version })),
  ].filter((release) => !`${release.name}${release.version}`.includes('\u0000'));
}

/** Everything the logs said about skipped entries, checked to be bounded and free of raw control characters. */
function skippedEntries(h: PollHarness): Array<{ name: string; version: string }> {
  const skipped = h.logs.lines.filter((line) => String(line.msg).startsWith('skipped'));
  const entries = skipped.map((line) => (line.entry ?? {}) as { name?: string; version?: string; raw?: string });
  for (const entry of entries) {
    for (const value of Object.values(entry)) {
      expect(String(value).length).toBeLessThanOrEqual(320);
      expect(String(value)).not.toMatch(/[\u0000-\u001f\u007f]/);
    }
  }
  return entries.map((entry) => ({ name: entry.name ?? '', version: entry.version ?? '' }));
}

describe('hostile releases in the changelog feed', () => {
  test(
    'are skipped and reported; valid ones go to submit whole, as one argv element each; nothing runs, nothing is written ' + 'elsewhere',
    async () => {
      const h = await harness('changelog');
      await h.poller.run();
      const hostile = hostileReleases();
      h.pypi.publish([...hostile, ...TRICKY_VALID]);
      const before = await tree(h.setup.dir);

      const result = await h.poller.run();
      expect(result).toMatchObject({ invalid: hostile.length, queued: TRICKY_VALID.length });
      expect(skippedEntries(h)).toHaveLength(hostile.length);

      // The poll wrote the update list and the batch folder, and nothing else.
      const { logDir, updateListDir } = h.setup.config.paths;
      const created = [...(await tree(h.setup.dir))].filter((path) => !before.has(path));
      const allowed = [relative(h.setup.dir, logDir), relative(h.setup.dir, updateListDir)];
      const outside = created.filter(
        (path) => !allowed.some((dir) => path === dir || path.startsWith(dir + sep) || dir.startsWith(path + sep)),
      );
      expect(outside).toEqual([]);
      const lists = await h.updateLists();
      expect(lists).toHaveLength(1);
      const listed = (await readFile(join(updateListDir, lists[0] ?? ''), 'utf8')).trim().split('\n');
      expect(listed.sort()).toEqual(TRICKY_VALID.map((r) => r.name).sort());

      // Now run them through a real submit worker and the stand-in.
      const recordFile = join(h.setup.dir, 'submit-calls.jsonl');
      const workers: WorkerSet = await startWorkers(h.runtime, { queues: ['submit'], submitEnv: { STANDIN_SUBMIT_RECORD: recordFile } });
      closers.push(() => workers.close(5000));
      await waitFor(async () => (await h.runtime.queues.submit.getCompletedCount()) >= TRICKY_VALID.length, { what: 'the valid submits' });
      const calls = await readSubmitCalls(recordFile);
      expect(calls.map((call) => call.argv.slice(1)).sort()).toEqual(
        TRICKY_VALID.map((r) => [`repo_addr=${r.name}`, 'os_arch=aarch64', 'testbox=vm-2p8g', 'check_rpm_install=yes']).sort(),
      );
      expect(existsSync(PWNED)).toBe(false);
      expect((await readdir(tmpdir())).filter((entry) => entry.includes(MARKER))).toEqual([]);
    },
  );

  test('the same hostile names through the RSS feed are skipped too (those a title can carry)', async () => {
    const h = await harness('rss');
    await h.poller.run();
    // An RSS title is `NAME VERSION`: names with spaces or line breaks cannot be told apart there.
    const hostile = Object.entries(HOSTILE_NAMES)
      .filter(([, name]) => !/[\s\u0000]/.test(name))
      .map(([, name]) => ({ name, version: '1.0' }));
    h.pypi.publish([...hostile, { name: 'fine-rss', version: '2.0' }]);
    const result = await h.poller.run();
    expect(result).toMatchObject({ queued: 1 });
    expect(result.invalid).toBe(hostile.length);
    expect((await h.pendingJobIds()).map((id) => id.split('|')[0])).toEqual(['fine-rss']);
    expect(existsSync(PWNED)).toBe(false);
  });

  test('one entry with a NUL byte does not hold back the releases around it', async () => {
    // XML 1.0 has no NUL, even escaped: a mirror that sends one sends a malformed document. The poll may
    // refuse the document, but then it must not be stuck behind it forever.
    const h = await harness('changelog');
    await h.poller.run();
    h.pypi.publish([
      { name: 'before-nul', version: '1.0' },
      { name: 'nul\u0000name', version: '1.0' },
      { name: 'after-nul', version: '1.0' },
    ]);
    const outcome = await h.poller.run().then(
      (result) => ({ ok: true as const, result }),
      (error: unknown) => ({ ok: false as const, error: String(error) }),
    );
    expect(outcome, 'a single NUL in one entry fails the whole poll, and every poll after it').toMatchObject({ ok: true });
    expect((await h.pendingJobIds()).map((id) => id.split('|')[0]).sort()).toEqual(['after-nul', 'before-nul']);
  });
});

describe('hostile entries in package lists and arguments', () => {
  test('each is rejected with its line, shown bounded and escaped; the valid lines are kept', () => {
    const names = Object.values(HOSTILE_NAMES).filter((name) => !/[\n\r]/.test(name) && !/\s/.test(name));
    const versions = Object.values(HOSTILE_VERSIONS).filter((version) => !/[\s]/.test(version));
    const lines = ['good-one', ...names, ...versions.map((version) => `ok-pkg==${version}`), 'good-two==2.0'];
    const parsed = parsePackageList(lines.join('\n'), 'list.txt');
    expect(parsed.requests.map((r) => r.name)).toEqual(['good-one', 'good-two']);
    expect(parsed.rejected).toHaveLength(names.length + versions.length);
    parsed.rejected.forEach((item, index) => {
      expect(item.origin).toBe(`list.txt:${index + 2}`);
      expect(item.raw.length).toBeLessThanOrEqual(120);
      expect(item.raw).not.toMatch(/[\u0000-\u001f\u007f]/);
      expect(item.reason).not.toBe('');
    });
  });

  test('a NUL byte fails its line; text after the first word, a stray CR included, is ignored and inert', () => {
    const parsed = parsePackageList('numpy\u0000evil\nscipy==1.0\rrepo_addr: evil\n', 'l.txt');
    // The list format reads the first word of a line: `\r` ends that word, the rest of the line is dropped.
    expect(parsed.requests.map((r) => [r.name, r.version, r.origin])).toEqual([['scipy', '1.0', 'l.txt:2']]);
    expect(parsed.rejected.map((r) => [r.origin, r.raw])).toEqual([['l.txt:1', 'numpy\\x00evil']]);
  });

  test('arguments are checked one by one, whatever they hold', () => {
    const specs = [...Object.values(HOSTILE_NAMES), ...Object.values(HOSTILE_VERSIONS).map((v) => `ok==${v}`), 'fine==1.0'];
    const parsed = parsePackageArgs(specs);
    expect(parsed.requests.map((r) => `${r.name}==${r.version ?? ''}`)).toEqual(['fine==1.0']);
    expect(parsed.rejected).toHaveLength(specs.length - 1);
  });
});

describe('a hostile job that reached the queue anyway', () => {
  test('is refused by the submit worker without running submit, and the worker goes on', async () => {
    const h = await harness('changelog');
    const recordFile = join(h.setup.dir, 'submit-calls.jsonl');
    const workers = await startWorkers(h.runtime, { queues: ['submit'], submitEnv: { STANDIN_SUBMIT_RECORD: recordFile } });
    closers.push(() => workers.close(5000));
    const batchId = batchIdFor(new Date());
    const target = { os_arch: 'aarch64', testbox: 'vm-2p8g' };
    const forged = [
      { name: `$(touch ${PWNED})`, target, batchId, origin: 'enqueue' },
      { name: 'numpy', target: { os_arch: 'aarch64\nrepo_addr: evil', testbox: 'vm-2p8g' }, batchId, origin: 'enqueue' },
      { name: 'numpy', target: { os_arch: 'aarch64', testbox: '{a: 1}' }, batchId, origin: 'enqueue' },
      { name: 'numpy', target: { os_arch: 'aarch64', repo_addr: 'evil' }, batchId, origin: 'enqueue' },
      { name: 'numpy', target, batchId: '../../../etc', origin: 'enqueue' },
      { name: 'numpy', target, batchId, origin: 'enqueue', extra: '!!python/object' },
    ];
    for (const [index, data] of forged.entries()) await h.runtime.queues.submit.add('submit', data, { jobId: `forged-${index}` });
    await h.runtime.queues.submit.add(
      'submit',
      { name: 'honest', version: '1.0', target, batchId, origin: 'enqueue' },
      { jobId: 'honest' },
    );

    await waitFor(async () => (await h.runtime.queues.submit.getJobCountByTypes('completed', 'failed')) >= forged.length + 1, {
      what: 'all jobs settled',
    });
    const failed = await h.runtime.queues.submit.getJobs(['failed']);
    expect(failed.map((job) => job.id).sort()).toEqual(forged.map((_, index) => `forged-${index}`).sort());
    // Refused for good at once: retrying cannot make the data valid.
    for (const job of failed) expect(job.attemptsMade).toBe(1);
    const calls = await readSubmitCalls(recordFile);
    expect(calls.map((call) => call.argv[1])).toEqual(['repo_addr=honest']);
    expect(existsSync(PWNED)).toBe(false);
    expect(existsSync(join(h.setup.config.paths.logDir, '..', '..', '..', 'etc'))).toBe(false);

    // Refused for good, so said in the log as an error naming the job: not only visible in Redis.
    const loggedIds = h.logs.lines.filter((line) => (line.level as number) >= 50).map((line) => line.jobId);
    expect(
      forged.map((_, index) => `forged-${index}`).filter((id) => !loggedIds.includes(id)),
      'forged jobs failed without an error log line',
    ).toEqual([]);
  });
});
