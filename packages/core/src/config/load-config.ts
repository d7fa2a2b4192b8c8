// Finds, reads, overrides from the environment and validates the config, once, at start-up.

import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml, YAMLParseError } from '#yaml';
import type { z } from '#zod';
import { ConfigError } from '../errors.js';
import { configValueMayBeShown } from '../notify/notify-config.js';
import { configSchema, type ParsedConfig } from './config-schema.js';
import { describeAllowedKeys } from './schema-keys.js';

/** Secrets are read from the environment only: never from the config file, never stored. */
export interface Secrets {
  readonly aiApiKey?: string;
  readonly dashboardPassword?: string;
}

export interface Config extends Omit<ParsedConfig, 'paths'> {
  /** The file the config came from; undefined when only defaults and environment were used. */
  readonly configFile: string | undefined;
  readonly paths: {
    readonly logDir: string;
    readonly updateListDir: string;
    readonly keepUpdateLists: number;
  };
  readonly secrets: Secrets;
}

export interface LoadConfigOptions {
  /** `--config FILE` from the command line. */
  readonly file?: string;
  /** @defaultValue process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Relative paths resolve against this. @defaultValue process.cwd() */
  readonly cwd?: string;
}

const DEFAULT_FILE = 'pypi-watch.yaml';

/** Environment variable → config key it overrides. */
const ENV_OVERRIDES = {
  REDIS_URL: ['redis', 'url'],
  PYPI_BASE_URL: ['source', 'baseUrl'],
  AI_BASE_URL: ['ai', 'baseUrl'],
  AI_MODEL: ['ai', 'model'],
  DASHBOARD_USER: ['dashboard', 'user'],
  DASHBOARD_HOST: ['dashboard', 'host'],
  LOG_LEVEL: ['log', 'level'],
} as const satisfies Record<string, readonly [string, string]>;

/** Keys people put in the file that belong in the environment instead. */
const SECRET_KEY_HINTS: Record<string, string> = {
  'ai.apiKey': 'AI_API_KEY',
  'ai.api_key': 'AI_API_KEY',
  'dashboard.password': 'DASHBOARD_PASSWORD',
};

export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const file = findConfigFile(options.file, env, cwd);
  const raw = file ? readConfigFile(file) : {};
  const fromEnv = applyEnvOverrides(raw, env);
  const result = configSchema.safeParse(raw, { reportInput: true });
  if (!result.success) {
    throw new ConfigError(formatIssues(result.error.issues, file, fromEnv));
  }
  return resolveConfig(result.data, file, env, cwd);
}

function findConfigFile(flag: string | undefined, env: NodeJS.ProcessEnv, cwd: string): string | undefined {
  const explicit = flag ?? (env.PYPI_WATCH_CONFIG || undefined);
  if (explicit !== undefined) {
    const path = resolve(cwd, explicit);
    const origin = flag === undefined ? 'PYPI_WATCH_CONFIG' : '--config';
    if (!existsSync(path)) throw new ConfigError(`config file ${path} (from ${origin}) does not exist`);
    return path;
  }
  const fallback = resolve(cwd, DEFAULT_FILE);
  return existsSync(fallback) ? fallback : undefined;
}

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read config file ${path}: ${(error as Error).message}`, { cause: error });
  }
  let data: unknown;
  try {
    data = parseYaml(text, { prettyErrors: true, maxAliasCount: 50 });
  } catch (error) {
    const detail = error instanceof YAMLParseError ? error.message : String(error);
    throw new ConfigError(`config file ${path} is not valid YAML: ${detail}`, { cause: error });
  }
  if (data === null || data === undefined) return {};
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new ConfigError(`config file ${path} must hold a mapping of keys (like \`submit:\`), got ${typeName(data)}`);
  }
  return dropNulls(data as Record<string, unknown>);
}

/** `key:` with nothing after it (every sub-key commented out) means "not set", as people expect. */
function dropNulls(mapping: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(mapping)) {
    if (value === null) continue;
    out[key] = typeof value === 'object' && !Array.isArray(value) ? dropNulls(value as Record<string, unknown>) : value;
  }
  return out;
}

/** Writes env values into the raw object before validation; returns which dotted keys they set. */
function applyEnvOverrides(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): Map<string, string> {
  const applied = new Map<string, string>();
  for (const [variable, [section, key]] of Object.entries(ENV_OVERRIDES)) {
    const value = env[variable];
    if (value === undefined || value === '') continue;
    const current = raw[section];
    const target = current && typeof current === 'object' && !Array.isArray(current) ? (current as Record<string, unknown>) : {};
    target[key] = value;
    raw[section] = target;
    applied.set(`${section}.${key}`, variable);
  }
  return applied;
}

function formatIssues(issues: readonly z.core.$ZodIssue[], file: string | undefined, fromEnv: Map<string, string>): string {
  const where = file ? `in ${file}` : '(defaults and environment)';
  const lines = issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys
        .map((key) => {
          const dotted = path ? `${path}.${key}` : key;
          const hint = SECRET_KEY_HINTS[dotted];
          if (hint) return `  - ${dotted}: secrets are not read from the config file; set the ${hint} environment variable`;
          return `  - ${dotted}: unknown key; allowed here: ${describeAllowedKeys(configSchema, issue.path)}`;
        })
        .join('\n');
    }
    const origin = fromEnv.get(path);
    const label = origin ? `${path} (from ${origin})` : path || '(top level)';
    const shown = 'input' in issue && issue.input !== undefined && configValueMayBeShown(issue.path, issue.input);
    const got = shown ? `got ${showValue(issue.input)}; ` : '';
    return `  - ${label}: ${got}${issue.message}`;
  });
  return `invalid config ${where}:\n${lines.join('\n')}`;
}

function showValue(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value.replace(/\/\/([^@/]*)@/, '//***@')) : JSON.stringify(value);
  const shown = text ?? typeName(value);
  return shown.length > 80 ? `${shown.slice(0, 77)}...` : shown;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'a mapping' : `${typeof value} ${JSON.stringify(value)}`;
}

function resolveConfig(parsed: ParsedConfig, file: string | undefined, env: NodeJS.ProcessEnv, cwd: string): Config {
  const dataDir = resolve(cwd, parsed.dataDir);
  const secrets: { aiApiKey?: string; dashboardPassword?: string } = {};
  if (env.AI_API_KEY) secrets.aiApiKey = env.AI_API_KEY;
  if (env.DASHBOARD_PASSWORD) secrets.dashboardPassword = env.DASHBOARD_PASSWORD;
  const filters =
    parsed.filters.allowFile === undefined ? parsed.filters : { ...parsed.filters, allowFile: resolve(cwd, parsed.filters.allowFile) };
  return {
    ...parsed,
    configFile: file,
    dataDir,
    filters,
    submit: { ...parsed.submit, jobYaml: resolve(cwd, parsed.submit.jobYaml) },
    paths: {
      logDir: resolve(cwd, parsed.paths.logDir ?? resolve(dataDir, 'log')),
      updateListDir: resolve(cwd, parsed.paths.updateListDir ?? resolve(dataDir, 'update_list')),
      keepUpdateLists: parsed.paths.keepUpdateLists,
    },
    secrets,
  };
}
