// Hostile input through the real `pypi-watch` command: package arguments and list files that try
// shell, path, YAML and look-alike tricks, and config files with wrong types, unknown keys, negative
// numbers, unsafe YAML tags and alias bombs. Each is refused clearly (exit code, the offending entry
// or key named, no stack trace) or passed to `submit` as one inert argv element.

import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { readSubmitCalls, waitFor, runCli, spawnCli, stopCli, createCliSetup, type CliSetup } from '@pypi-watch/test-utils';

const MARKER = randomUUID();
const PWNED = join(tmpdir(), `pwned-${MARKER}`);
/** Unicode format characters that make a terminal or log viewer show text other than what it holds. */
const INVISIBLE_OR_BIDI = /[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/;

const setups: CliSetup[] = [];
afterEach(async () => {
  for (const setup of setups.splice(0)) await setup.remove();
});

async function tree(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true }).catch(() => [] as string[])).map(String);
}

describe('pypi-watch enqueue with hostile packages', () => {
  test('hostile arguments and list lines are reported one by one and queued never; valid ones reach submit as one word', async () => {
    const setup = await createCliSetup();
    setups.push(setup);
    const hostileArgs = [
      `$(touch ${PWNED})`,
      `\`touch ${PWNED}\``,
      `x;touch ${PWNED}`,
      `../../pwned-${MARKER}`,
      'numpy\nrepo_addr=evil',
      'x'.repeat(10_000),
      'p\u0430ndas', // Cyrillic a
      '\uff52\uff45\uff51\uff55\uff45\uff53\uff54\uff53', // fullwidth "requests"
      'abc\u202edef', // right-to-left override
      'ok-pkg==1.0\nrepo_addr: evil',
      'ok-pkg=={"a":1}',
      'ok-pkg==!!python/object/apply:os.system',
    ];
    const hostileLines = [
      `$(touch ${PWNED})`,
      'numpy\u0000evil',
      `../../../../tmp/pwned-${MARKER}`,
      'y'.repeat(10_000),
      'r\u0435quests==1.0', // Cyrillic e
      'ok-pkg==1.0;id',
      'ok-pkg=={a: 1}',
    ];
    const listFile = join(setup.dir, 'list.txt');
    await writeFile(listFile, ['from-list==2.0', ...hostileLines, '# comment', 'A'].join('\n'));
    const before = new Set(await tree(setup.dir));

    // `--` so the arguments are packages even when they look like options.
    const result = await runCli(['enqueue', '--config', setup.configFile, '-l', listFile, '--', 'fine-arg==1.0', ...hostileArgs], {
      env: setup.env,
    });
    expect(result.code, result.stderr).toBe(1);
    expect(result.stdout).toMatch(/queued 3 submit job\(s\) for 3 package\(s\)/);
    const skipped = result.stderr.split('\n').filter((line) => line.startsWith('skipped '));
    expect(skipped).toHaveLength(hostileArgs.length + hostileLines.length);
    hostileArgs.forEach((_, index) => expect(skipped.some((line) => line.startsWith(`skipped argument ${index + 2}: `))).toBe(true));
    hostileLines.forEach((_, index) => expect(skipped.some((line) => line.startsWith(`skipped ${listFile}:${index + 2}: `))).toBe(true));
    expect(result.stderr).toContain(`${hostileArgs.length + hostileLines.length} invalid entries skipped`);
    for (const line of skipped) {
      // Bounded, and no raw control character from the input reaches the terminal.
      expect(line.length).toBeLessThan(600);
      expect(line).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    }

    // enqueue wrote its batch folder and nothing else.
    const created = (await tree(setup.dir)).filter((path) => !before.has(path));
    const logDir = relative(setup.dir, setup.logDir);
    expect(created.filter((path) => !(path === logDir || path.startsWith(logDir + sep) || logDir.startsWith(path + sep)))).toEqual([]);

    const worker = spawnCli(['worker', '--queues', 'submit', '--config', setup.configFile], { env: setup.env });
    try {
      await waitFor(async () => (await readSubmitCalls(setup.recordFile)).length >= 3, { timeoutMs: 30_000, what: '3 submits' });
    } finally {
      expect(await stopCli(worker)).toBe(0);
    }
    const argvs = (await readSubmitCalls(setup.recordFile)).map((call) => call.argv.slice(1)).sort();
    expect(argvs).toEqual(
      ['A', 'fine-arg', 'from-list'].map((name) => [`repo_addr=${name}`, 'os_arch=aarch64', 'testbox=vm-2p8g', 'check_rpm_install=yes']),
    );
    expect(existsSync(PWNED)).toBe(false);
    expect((await readdir(tmpdir())).filter((entry) => entry.includes(MARKER))).toEqual([]);
  }, 60_000);

  test('a rejected name with a bidi override or zero-width character is shown escaped, not as the terminal would render it', async () => {
    const setup = await createCliSetup();
    setups.push(setup);
    // U+202E makes "abc\u202edef" display as "abcfed"; U+200B makes "num\u200bpy" display as "numpy".
    const result = await runCli(['enqueue', '--config', setup.configFile, '--', 'abc\u202edef', 'num\u200bpy'], { env: setup.env });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('2 invalid entries skipped');
    expect(result.stderr).not.toMatch(INVISIBLE_OR_BIDI);
  });

  test('an argument that looks like an option is a usage error unless it comes after --', async () => {
    const setup = await createCliSetup();
    setups.push(setup);
    const asOption = await runCli(['enqueue', '--config', setup.configFile, '-rf'], { env: setup.env });
    expect(asOption.code).toBe(2);
    expect(asOption.stderr).toContain('pypi-watch --help');
    const asPackage = await runCli(['enqueue', '--config', setup.configFile, '--', '-rf', '--help'], { env: setup.env });
    expect(asPackage.code).toBe(1);
    expect(asPackage.stderr).toContain('skipped argument 1: "-rf"');
    expect(asPackage.stderr).toContain('skipped argument 2: "--help"');
  });
});

describe('a hostile or broken config file', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pypi-watch-hostile-config-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function runWithConfig(name: string, text: string) {
    const file = join(dir, name);
    await writeFile(file, text);
    return runCli(['status', '--config', file], { cwd: dir });
  }

  function expectCleanFailure(result: { code: number | null; stderr: string }): void {
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^pypi-watch: /);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stderr).not.toContain('unexpected error');
  }

  test('wrong types, negative numbers and unknown keys are all named in one message', async () => {
    const result = await runWithConfig(
      'wrong.yaml',
      [
        'surprise: 1',
        'redis:',
        '  url: http://127.0.0.1:1',
        'source:',
        '  maxPages: -1',
        '  every: "-5m"',
        '  pagePause: lots',
        'submit:',
        '  comand: submit',
        '  concurrency: "many"',
        '  attempts: -2',
        '  targets: aarch64',
        '  timeout: -1',
        '  rateLimit:',
        '    max: -5',
        '  params:',
        '    "bad key": x',
        '    evil: "-rf"',
        'paths:',
        '  keepUpdateLists: 0',
        'dashboard:',
        '  port: 70000',
        'dedupe:',
        '  ttl: []',
      ].join('\n'),
    );
    expectCleanFailure(result);
    for (const key of [
      'surprise: unknown key',
      'redis.url',
      'source.maxPages: got -1',
      'source.every',
      'source.pagePause',
      'submit.comand: unknown key',
      'submit.concurrency: got "many"',
      'submit.attempts: got -2',
      'submit.targets',
      'submit.timeout',
      'submit.rateLimit.max: got -5',
      'submit.params.bad key',
      'submit.params.evil',
      'paths.keepUpdateLists: got 0',
      'dashboard.port: got 70000',
      'dedupe.ttl',
    ]) {
      expect(result.stderr).toContain(key);
    }
  });

  test('an unsafe YAML tag is not executed; the value is refused by type', async () => {
    const result = await runWithConfig('tag.yaml', `submit:\n  command: !!python/object/apply:os.system ["touch ${PWNED}"]\n`);
    expectCleanFailure(result);
    expect(result.stderr).toContain('submit.command');
    expect(existsSync(PWNED)).toBe(false);
  });

  test('a YAML alias bomb is refused quickly instead of expanding', async () => {
    const levels = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let level = 1; level < 9; level++) {
      const prev = String.fromCharCode(96 + level);
      const next = String.fromCharCode(97 + level);
      levels.push(`${next}: &${next} [*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev}]`);
    }
    const started = Date.now();
    const result = await runWithConfig('bomb.yaml', `${levels.join('\n')}\n`);
    expectCleanFailure(result);
    expect(result.stderr).toMatch(/alias|not valid YAML/i);
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  test('a document that is not a mapping, or not YAML at all, is named as such', async () => {
    const list = await runWithConfig('list.yaml', '- submit\n- poll\n');
    expectCleanFailure(list);
    expect(list.stderr).toContain('must hold a mapping of keys');
    const garbage = await runWithConfig('garbage.yaml', 'submit: [unclosed\n  "\u0000\n');
    expectCleanFailure(garbage);
    expect(garbage.stderr).toContain('is not valid YAML');
  });
});
