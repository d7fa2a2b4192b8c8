import { execa } from 'execa';
import { describe, expect, test } from 'vitest';
import { buildSubmitArgs, formatCommandForLog, type SubmitArgsInput } from '../src/submit/submit-command.js';
import { SubmitArgumentError } from '../src/errors.js';

const base: SubmitArgsInput = {
  jobYamlPath: '/var/lib/pypi-watch/jobs/update-pypi.0123456789ab.yaml',
  name: 'requests',
  target: { os_arch: 'aarch64', testbox: 'vm-2p8g' },
  params: { os_version: '24.03-LTS', mount_repo_addr: 'https://example.org/python/$basearch' },
};

function rejects(input: Partial<SubmitArgsInput>): SubmitArgumentError {
  try {
    buildSubmitArgs({ ...base, ...input });
  } catch (error) {
    expect(error).toBeInstanceOf(SubmitArgumentError);
    return error as SubmitArgumentError;
  }
  throw new Error('expected buildSubmitArgs to throw');
}

describe('buildSubmitArgs', () => {
  test('gives the yaml, repo_addr, the target then the params, in insertion order', () => {
    expect(buildSubmitArgs(base)).toEqual([
      '/var/lib/pypi-watch/jobs/update-pypi.0123456789ab.yaml',
      'repo_addr=requests',
      'os_arch=aarch64',
      'testbox=vm-2p8g',
      // Quoted where YAML 1.1 might not read it as written: Ruby reads the same string either way.
      'os_version="24.03-LTS"',
      'mount_repo_addr="https://example.org/python/$basearch"',
    ]);
  });

  test('quotes a name that YAML 1.1 would read as something else, so Ruby reads the same name back', async () => {
    const names = ['null', 'On', 'yes', '1e3', '1_000', '0b11', '3to2', '1.0'];
    const values = names.map((name) =>
      buildSubmitArgs({ jobYamlPath: 'job.yaml', name, target: {}, params: {} })[1]!.slice('repo_addr='.length),
    );
    expect(values.every((value) => value.startsWith('"'))).toBe(true);
    // As submit does: each `k=v` is loaded as the YAML text `k: v`.
    const script = 'require "yaml"; require "json"; puts(ARGV.map { |v| YAML.load("repo_addr: #{v}")["repo_addr"] }.to_json)';
    const { stdout } = await execa('ruby', ['-e', script, ...values]);
    expect(JSON.parse(stdout)).toEqual(names);
    expect(buildSubmitArgs({ jobYamlPath: 'job.yaml', name: 'requests', target: {}, params: {} })[1]).toBe('repo_addr=requests');
  });

  test('target and param values reach Ruby as written; flag words stay YAML 1.1 flags', async () => {
    const target = { os_version: '20.10', testbox: '0x1f', when: '1:20', date: '2026-01-01', box: 'vm-2p8g' };
    const args = buildSubmitArgs({ jobYamlPath: 'job.yaml', name: 'x', target, params: { check_rpm_install: 'yes' } }).slice(2);
    const script =
      'require "yaml"; require "json"; require "date"; puts(ARGV.map { |a| k, v = a.split("=", 2); YAML.load("#{k}: #{v}", ' +
      'permitted_classes: [Date, Symbol]) }.to_json)';
    const { stdout } = await execa('ruby', ['-e', script, ...args]);
    expect(JSON.parse(stdout)).toEqual([
      { os_version: '20.10' },
      { testbox: '0x1f' },
      { when: '1:20' },
      { date: '2026-01-01' },
      { box: 'vm-2p8g' },
      { check_rpm_install: true },
    ]);
  });

  test('keeps the name as given (case, dots, underscores)', () => {
    expect(buildSubmitArgs({ ...base, name: 'Zope.Interface_x', target: {}, params: {} })).toEqual([
      base.jobYamlPath,
      'repo_addr=Zope.Interface_x',
    ]);
  });

  test.each([
    ['shell metacharacters', 'foo;rm -rf /'],
    ['a path', '../x'],
    ['a NUL', 'foo\0bar'],
    ['a newline', 'foo\nbar'],
    ['10k characters', 'a'.repeat(10_000)],
    ['empty', ''],
    ['a leading dash', '-rf'],
    ['a key=value', 'x=y'],
    ['a space', 'foo bar'],
  ])('rejects a hostile name: %s', (_label, name) => {
    const error = rejects({ name });
    expect(error.code).toBe('ERR_SUBMIT_ARGUMENT');
    expect(error.message).toContain('project name');
    // Bounded in the message, whatever its length.
    expect(error.message.length).toBeLessThan(400);
  });

  test.each([
    ['starts with a digit', '1abc'],
    ['has a space', 'os arch'],
    ['has =', 'a=b'],
    ['is empty', ''],
    ['starts with a dash', '-s'],
    ['has a newline', 'a\nb'],
  ])('rejects a key that %s', (_label, key) => {
    expect(rejects({ target: { [key]: 'x' } }).message).toMatch(/target key/);
    expect(rejects({ params: { [key]: 'x' } }).message).toMatch(/params key/);
  });

  test('rejects repo_addr in target or params: the name must not be overridden', () => {
    expect(rejects({ target: { repo_addr: 'other' } }).message).toContain('reserved');
    expect(rejects({ params: { repo_addr: 'other' } }).message).toContain('reserved');
  });

  test('rejects a key given in both target and params', () => {
    expect(rejects({ params: { os_arch: 'x86_64' } }).message).toContain('os_arch');
  });

  test.each([
    ['a NUL', 'a\0b'],
    ['a newline', 'a\nb'],
    ['a carriage return', 'a\rb'],
    ['a leading dash', '-o'],
    ['a YAML tag', '!ruby/object:Gem::Installer'],
    ['a flow mapping', '{a: 1}'],
    ['an embedded mapping', 'a: b'],
    ['a comment', 'a #b'],
    ['4097 characters', 'v'.repeat(4097)],
  ])('rejects a value with %s', (_label, value) => {
    expect(rejects({ params: { key: value } })).toBeInstanceOf(SubmitArgumentError);
  });

  test('accepts an empty value (a null job key)', () => {
    expect(buildSubmitArgs({ ...base, target: {}, params: { rpmbuild: '' } }).at(-1)).toBe('rpmbuild=');
  });

  test('rejects a job yaml path submit would not read as a job file', () => {
    expect(rejects({ jobYamlPath: '' })).toBeInstanceOf(SubmitArgumentError);
    expect(rejects({ jobYamlPath: '-o' })).toBeInstanceOf(SubmitArgumentError);
    expect(rejects({ jobYamlPath: '/tmp/a=b.yaml' })).toBeInstanceOf(SubmitArgumentError);
  });
});

describe('formatCommandForLog', () => {
  test('leaves plain words alone', () => {
    expect(formatCommandForLog('submit', ['/tmp/job.yaml', 'repo_addr=requests', 'os_arch=aarch64'])).toBe(
      'submit /tmp/job.yaml repo_addr=requests os_arch=aarch64',
    );
  });

  test('single-quotes what a shell would expand, escaping quotes', () => {
    expect(formatCommandForLog('submit', ['a b', 'x=$basearch', "it's", ''])).toBe(`submit 'a b' 'x=$basearch' 'it'\\''s' ''`);
  });

  test('keeps control characters visible and on one line', () => {
    const line = formatCommandForLog('/usr/bin/sub mit', ['a\nb', 'c\td']);
    expect(line).toBe(`'/usr/bin/sub mit' $'a\\nb' $'c\\td'`);
    expect(line).not.toContain('\n');
  });
});
