// Renders the farm job YAML with the AI-repair secrets into a file only this worker's user can read, in YAML Ruby reads as meant.

import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { isMap, parseDocument } from '#yaml';
import { stringifyForRuby, unsupportedTags } from './ruby-yaml.js';
import { JobYamlError } from '../errors.js';

/** Values that must reach the farm job but never a command line, an image or a log. */
export interface JobYamlSecrets {
  /** Written as `api_key`; skipped when absent or empty. */
  readonly apiKey?: string | undefined;
  /** Written as `base_url`; skipped when absent or empty. */
  readonly baseUrl?: string | undefined;
  /** Written as `ai_model`; skipped when absent or empty. */
  readonly aiModel?: string | undefined;
}

export interface RenderJobYamlOptions {
  /** The shipped job template, e.g. `config/update-pypi.yaml`. Read only, never modified. */
  readonly templatePath: string;
  /** Folder for rendered copies; created with mode 0700 when missing. */
  readonly outDir: string;
  readonly secrets: JobYamlSecrets;
}

const SECRET_KEYS = [
  ['apiKey', 'api_key'],
  ['baseUrl', 'base_url'],
  ['aiModel', 'ai_model'],
] as const;

/** 12 hex digits: enough to tell renders apart, too short to say anything about the secrets. */
const HASH_CHARS = 12;

/**
 * Renders the template with the secrets set and returns the rendered file's path,
 * `<outDir>/<template name>.<content hash>.yaml` (mode 0600).
 * The name follows the content, so every worker with the same secrets shares one file
 * and a rotated key gets a new file instead of changing one a running submit reads.
 */
export async function renderJobYaml(options: RenderJobYamlOptions): Promise<string> {
  const { templatePath, outDir, secrets } = options;
  const text = await readTemplate(templatePath);

  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) {
    const first = doc.errors[0];
    throw new JobYamlError(templatePath, `job template ${templatePath} is not valid YAML: ${first?.message ?? 'parse error'}`);
  }
  if (!isMap(doc.contents)) {
    throw new JobYamlError(templatePath, `job template ${templatePath} must be a YAML mapping of job keys`);
  }
  const tags = unsupportedTags(doc);
  if (tags.length > 0) {
    throw new JobYamlError(
      templatePath,
      `job template ${templatePath} uses the tag(s) ${tags.map((tag) => JSON.stringify(tag.slice(0, 80))).join(', ')}: only YAML's ` +
        `core tags are allowed, since lkp-tests loads the job unsafely and would build Ruby objects from others`,
    );
  }

  for (const [option, key] of SECRET_KEYS) {
    const value = secrets[option];
    if (value === undefined || value === '') continue;
    // The value itself stays out of the message: it is a secret.
    if (/[\0\r\n]/.test(value)) {
      throw new JobYamlError(templatePath, `secret ${option} (job key ${key}) contains a NUL or line break`);
    }
    doc.set(key, value);
  }

  // submit reads it with Ruby's Psych (YAML 1.1) after its own text passes, not as YAML 1.2.
  const rendered = stringifyForRuby(doc);
  const hash = createHash('sha256').update(rendered).digest('hex').slice(0, HASH_CHARS);
  const name = `${basename(templatePath, extname(templatePath))}.${hash}.yaml`;
  const target = join(outDir, name);

  try {
    await mkdir(outDir, { recursive: true, mode: 0o700 });
    await writeFileAtomically(target, rendered);
  } catch (error) {
    throw new JobYamlError(target, `cannot write the rendered job file ${target}: ${describe(error)}`, { cause: error });
  }
  return target;
}

async function readTemplate(templatePath: string): Promise<string> {
  try {
    return await readFile(templatePath, 'utf8');
  } catch (error) {
    throw new JobYamlError(templatePath, `cannot read job template ${templatePath}: ${describe(error)}`, { cause: error });
  }
}

/**
 * Temp file + rename so a submit reading the file concurrently sees the old or the new
 * content, never half of it. The temp file is created 0600, so the secrets are never readable by others.
 */
async function writeFileAtomically(target: string, content: string): Promise<void> {
  const temp = `${target}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const handle = await open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(content, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    // open()'s mode is filtered by the umask; make the final mode exact either way.
    await chmod(temp, 0o600);
    // rename swaps in the new inode, so a pre-existing copy with a looser mode does not survive.
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === undefined ? error.message : `${code} (${error.message})`;
  }
  return String(error);
}
