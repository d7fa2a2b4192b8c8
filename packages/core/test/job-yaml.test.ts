import { chmod, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { renderJobYaml } from '../src/submit/job-yaml.js';
import { JobYamlError } from '../src/errors.js';

const SHIPPED_TEMPLATE = resolve(import.meta.dirname, '../../../config/update-pypi.yaml');
const SECRETS = { apiKey: 'sk-test-0123456789', baseUrl: 'https://ai.example.org/v1', aiModel: 'deepseek-v3' };

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pypi-watch-job-yaml-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const mode = async (path: string): Promise<number> => (await stat(path)).mode & 0o777;

describe('the shipped config/update-pypi.yaml', () => {
  test('is the farm job from the design, without secrets', async () => {
    const job = parse(await readFile(SHIPPED_TEMPLATE, 'utf8')) as Record<string, unknown>;
    expect(job).toEqual({
      suite: 'rpmbuild-python-update',
      category: 'functional',
      rpmbuild: null,
      group_id: 'rpmbuild-python-update',
      custom_repo_name: 'python',
      mount_repo_addr: 'https://api.compass-ci.openeuler.org:20018/rpm/testing/openeuler-24.03-LTS/python/$basearch',
      mount_repo_name: 'python',
      os: 'openeuler',
      os_version: '24.03-LTS',
      os_arch: 'aarch64',
      rpmbuild_type: 'pypi',
      runtime: '1d',
    });
  });
});

describe('renderJobYaml', () => {
  test('writes the template plus the secrets, mode 0600 in a 0700 folder, leaving the template untouched', async () => {
    const dir = await tempDir();
    const outDir = join(dir, 'rendered');
    const before = await readFile(SHIPPED_TEMPLATE);

    const path = await renderJobYaml({ templatePath: SHIPPED_TEMPLATE, outDir, secrets: SECRETS });

    expect(basename(path)).toMatch(/^update-pypi\.[0-9a-f]{12}\.yaml$/);
    expect(await mode(path)).toBe(0o600);
    expect(await mode(outDir)).toBe(0o700);
    const job = parse(await readFile(path, 'utf8')) as Record<string, unknown>;
    expect(job).toMatchObject({
      suite: 'rpmbuild-python-update',
      rpmbuild: null,
      mount_repo_addr: 'https://api.compass-ci.openeuler.org:20018/rpm/testing/openeuler-24.03-LTS/python/$basearch',
      api_key: SECRETS.apiKey,
      base_url: SECRETS.baseUrl,
      ai_model: SECRETS.aiModel,
    });
    expect(await readFile(SHIPPED_TEMPLATE)).toEqual(before);
    // Only the rendered file: no temp file left behind.
    expect(await readdir(outDir)).toEqual([basename(path)]);
  });

  test('sets only the secrets given', async () => {
    const dir = await tempDir();
    const path = await renderJobYaml({ templatePath: SHIPPED_TEMPLATE, outDir: dir, secrets: { apiKey: 'sk-only', baseUrl: '' } });
    const job = parse(await readFile(path, 'utf8')) as Record<string, unknown>;
    expect(job['api_key']).toBe('sk-only');
    expect(job).not.toHaveProperty('base_url');
    expect(job).not.toHaveProperty('ai_model');
  });

  test('same content, same file; different secrets, different file', async () => {
    const dir = await tempDir();
    const first = await renderJobYaml({ templatePath: SHIPPED_TEMPLATE, outDir: dir, secrets: SECRETS });
    const again = await renderJobYaml({ templatePath: SHIPPED_TEMPLATE, outDir: dir, secrets: SECRETS });
    const rotated = await renderJobYaml({ templatePath: SHIPPED_TEMPLATE, outDir: dir, secrets: { ...SECRETS, apiKey: 'sk-rotated' } });
    expect(again).toBe(first);
    expect(rotated).not.toBe(first);
  });

  test('a pre-existing rendered file with a loose mode ends up 0600', async () => {
    const dir = await tempDir();
    const path = await renderJobYaml({ templatePath: SHIPPED_TEMPLATE, outDir: dir, secrets: SECRETS });
    await chmod(path, 0o644);
    expect(await renderJobYaml({ templatePath: SHIPPED_TEMPLATE, outDir: dir, secrets: SECRETS })).toBe(path);
    expect(await mode(path)).toBe(0o600);
  });

  test('a missing template is an error naming its path', async () => {
    const dir = await tempDir();
    const templatePath = join(dir, 'nope.yaml');
    const error = await renderJobYaml({ templatePath, outDir: dir, secrets: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JobYamlError);
    expect((error as JobYamlError).message).toContain(templatePath);
    expect((error as JobYamlError).message).toContain('ENOENT');
  });

  test.each([
    ['unparsable', 'suite: [unclosed\n', 'not valid YAML'],
    ['a list', '- suite\n- category\n', 'mapping'],
    ['empty', '', 'mapping'],
    ['duplicate keys', 'suite: a\nsuite: b\n', 'not valid YAML'],
  ])('an %s template is an error naming its path', async (_label, text, words) => {
    const dir = await tempDir();
    const templatePath = join(dir, 'bad.yaml');
    await writeFile(templatePath, text);
    const error = await renderJobYaml({ templatePath, outDir: join(dir, 'out'), secrets: SECRETS }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JobYamlError);
    expect((error as JobYamlError).message).toContain(templatePath);
    expect((error as JobYamlError).message).toContain(words);
  });

  test('a secret with a line break is refused without echoing it', async () => {
    const dir = await tempDir();
    const error = await renderJobYaml({ templatePath: SHIPPED_TEMPLATE, outDir: dir, secrets: { apiKey: 'sk-a\nos: evil' } }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(JobYamlError);
    expect((error as JobYamlError).message).toContain('apiKey');
    expect((error as JobYamlError).message).not.toContain('sk-a');
  });
});
