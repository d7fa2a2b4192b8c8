// The one schema for pypi-watch's config file. Unknown keys are errors; every default lives here.

import { z } from '#zod';
import { webhookSchema } from '../notify/notify-config.js';
import { checkProjectName } from '../release/project-name.js';
import { SOURCE_TYPES } from '../sources/release-source.js';
import { forbiddenJobKeyReason } from '../submit/submit-targets.js';
import { DURATION_HELP, parseDuration } from './duration.js';

const duration = (min = 0) =>
  z.union([z.string(), z.number()]).transform((value, ctx) => {
    const ms = parseDuration(value);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `expected ${DURATION_HELP}` });
      return z.NEVER;
    }
    if (ms < min) {
      ctx.addIssue({ code: 'custom', message: `expected a duration of at least ${min} ms` });
      return z.NEVER;
    }
    return ms;
  });

const positiveInt = z.number().int().min(1);

/** Keys and values that become `key=value` arguments of `submit`. */
const argKey = z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, 'expected a key of letters, digits, `_`, `.`, `-`');
const argValue = z
  .union([z.string(), z.number(), z.boolean()])
  .transform(String)
  .refine((v) => v.length > 0 && !/[\0\r\n]/.test(v) && !v.startsWith('-'), {
    message: 'expected a non-empty value without newlines or NUL that does not start with `-`',
  });
const argMap = z.record(argKey, argValue).superRefine((map, ctx) => {
  for (const key of Object.keys(map)) {
    const reason = forbiddenJobKeyReason(key);
    if (reason !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: `key ${key} is not allowed here: ${reason}` });
  }
});

const regexSource = z.string().refine(
  (source) => {
    try {
      new RegExp(source);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'expected a valid regular expression' },
);

/** A dotted Python import name (`results.moduleAliases` keys). */
const PYTHON_MODULE = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const configSchema = z.strictObject({
  redis: z
    .strictObject({
      /** Unset: run an embedded redis-server under `<dataDir>/redis`. */
      url: z
        .string()
        .regex(/^rediss?(\+cluster)?:\/\//, 'expected a redis://, rediss:// or redis+cluster://host:port,host:port URL')
        .optional(),
      /** Wrapped in `{}` so every key shares one Redis Cluster hash slot. */
      prefix: z
        .string()
        .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'expected 1-64 letters, digits, `_`, `.`, `-` (the `{}` hash tag is added for you)')
        .default('pypi-watch'),
    })
    .prefault({}),
  dataDir: z.string().min(1).default('./var'),
  source: z
    .strictObject({
      type: z.enum(SOURCE_TYPES).default('changelog'),
      baseUrl: z.url({ protocol: /^https?$/ }).default('https://pypi.org'),
      every: duration(10_000).default(30 * 60_000),
      /** Most pages one poll fetches; the changelog resumes past it next poll, RSS warns (releases missed). */
      maxPages: positiveInt.max(10_000).default(200),
      /** Pause between paged calls: PyPI rate-limits XML-RPC to about 30 calls a minute. */
      pagePause: duration().default(500),
      /** One HTTP request to PyPI may take this long before it is retried. */
      timeout: duration(100).default(30_000),
      /** Retries of one HTTP request (429, 5xx, network errors) before the poll fails and backs off. */
      retries: z.number().int().min(0).max(20).default(3),
    })
    .prefault({}),
  filters: z
    .strictObject({
      prereleases: z.boolean().default(false),
      deny: z.array(regexSource).default([]),
      allow: z.array(regexSource).default([]),
      allowFile: z.string().min(1).optional(),
      /** Queue a release only once an sdist (what the farm builds from) is on PyPI. */
      requireSdist: z.boolean().default(true),
      /** A release still without an sdist this long after it appeared is decided "no sdist" for good. */
      sdistWait: duration(60_000).default(14 * 86_400_000),
      /** Cool-down: a release becomes buildable only once it is this old; 0 is off. */
      minAge: duration().default(0),
    })
    .prefault({}),
  dedupe: z.strictObject({ ttl: duration(60_000).default(30 * 86_400_000) }).prefault({}),
  submit: z
    .strictObject({
      command: z.string().min(1).default('submit'),
      jobYaml: z.string().min(1).default('config/update-pypi.yaml'),
      targets: z
        .array(argMap.refine((t) => Object.keys(t).length > 0, 'expected at least one key'))
        .min(1)
        .default([{ os_arch: 'aarch64', testbox: 'vm-2p8g' }]),
      params: argMap.default({ check_rpm_install: 'yes' }),
      concurrency: positiveInt.max(256).default(2),
      rateLimit: z
        .strictObject({
          max: positiveInt.default(10),
          duration: duration(1).default(1000),
        })
        .prefault({}),
      attempts: positiveInt.max(100).default(5),
      backoff: duration().default(10_000),
      timeout: duration(1).default(10 * 60_000),
      dryRun: z.boolean().default(false),
      /** Latest wins: a newer version joins a not-yet-started submit of the same project and target. */
      coalesce: z.boolean().default(true),
      /**
       * How long a worker's claim on a running submit lasts without renewal (renewed every half of it
       * while the process lives); a killed worker's submit returns to the queue within about twice this.
       */
      lockDuration: duration(1000).default(30_000),
      /** How often a submit may lose its worker (killed mid-submit) before it is failed for good. */
      maxStalledCount: z.number().int().min(0).max(100).default(3),
    })
    .prefault({}),
  paths: z
    .strictObject({
      logDir: z.string().min(1).optional(),
      updateListDir: z.string().min(1).optional(),
      keepUpdateLists: positiveInt.default(10),
    })
    .prefault({}),
  cleanup: z
    .strictObject({
      every: duration(1000).default(3_600_000),
      maxAge: duration(60_000).default(2 * 86_400_000),
    })
    .prefault({}),
  results: z
    .strictObject({
      /** Follow every submitted build to its outcome by reading its result folder. */
      enabled: z.boolean().default(true),
      /**
       * Farm path prefix → where this host mounts it, e.g. `{ "/srv": "/mnt/farm-srv" }`; results
       * are read only inside a mapped root, so empty follows nothing.
       */
      pathMap: z
        .record(
          z.string().regex(/^\//, 'expected an absolute farm path prefix'),
          z.string().regex(/^\//, 'expected an absolute local path'),
        )
        .default({}),
      every: duration(100).default(10 * 60_000),
      giveUpAfter: duration(1000).default(2 * 86_400_000),
      /** Automatic resubmits of a release whose build hit a farm repo outage. */
      maxResubmits: z.number().int().min(0).max(10).default(2),
      /** On a `missing-dependency` failure, build the missing project, then the failed build again. */
      buildMissingDependencies: z.boolean().default(true),
      /** Resubmits of one build after a dependency it was missing was built. */
      maxDependencyRounds: z.number().int().min(0).max(10).default(2),
      /** Import name → PyPI project, for missing modules the shipped alias table does not know (`{"yaml": "PyYAML"}`). */
      moduleAliases: z
        .record(
          z.string(),
          z.string().refine((name) => checkProjectName(name).ok, 'expected a valid PyPI project name'),
        )
        .superRefine((aliases, ctx) => {
          for (const module of Object.keys(aliases)) {
            if (!PYTHON_MODULE.test(module)) {
              ctx.addIssue({ code: 'custom', path: [module], message: 'expected a Python module name such as `google.protobuf`' });
            }
          }
        })
        .default({}),
    })
    .prefault({}),
  dashboard: z
    .strictObject({
      host: z.string().min(1).default('127.0.0.1'),
      port: z.number().int().min(0).max(65_535).default(3000),
      readOnly: z.boolean().default(false),
      user: z.string().min(1).default('admin'),
      /** Host names (no port) the dashboard answers besides loopback ones, e.g. a reverse proxy's public name. */
      allowedHosts: z
        .array(
          z
            .string()
            .regex(
              /^([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*$|^\[[0-9A-Fa-f:.]+\]$/,
              'expected a host name or IP address without scheme, port or path (IPv6 in brackets)',
            ),
        )
        .default([]),
    })
    .prefault({}),
  ai: z
    .strictObject({
      baseUrl: z.string().min(1).optional(),
      model: z.string().min(1).optional(),
    })
    .prefault({}),
  notify: z
    .strictObject({
      /** `{name?, url | urlEnv, format, events, secretEnv?}` each; the URL is a secret (see notify/notify-config.ts). */
      webhooks: z.array(webhookSchema).default([]),
      /** How often the detector looks for something to notify. */
      every: duration(1000).default(60_000),
      /** Build failures go out as one digest per this interval (aligned to it, UTC). */
      digestEvery: duration(60_000).default(3_600_000),
      /** `poll-lag` opens when the last poll left the cursor more than this many changelog serials behind PyPI. */
      lagAlarm: positiveInt.default(50_000),
      /** `submits-refused` opens after this many failed submit attempts with no success between them. */
      refusedAfter: positiveInt.max(10_000).default(5),
      /** An open alarm resolves only once its condition has been clear this long: a noisy signal stays one episode. */
      resolveAfter: duration().default(15 * 60_000),
      /** One webhook request, connect to last byte. */
      timeout: duration(100).default(10_000),
      /** Tries of one message to one webhook; with the default backoff about 7 hours of them. */
      attempts: positiveInt.max(100).default(20),
      /** First retry delay, doubling up to 30 minutes. */
      backoff: duration(10).default(30_000),
      /** Per webhook: at most `max` messages in any window of `duration`. */
      rateLimit: z.strictObject({ max: positiveInt.max(1000).default(1), duration: duration(1).default(1000) }).prefault({}),
    })
    .prefault({}),
  log: z.strictObject({ level: z.enum(LOG_LEVELS).default('info') }).prefault({}),
  shutdown: z.strictObject({ timeout: duration().default(30_000) }).prefault({}),
});

/** The config file as written: what `pypi-watch.example.yaml` documents. */
export type ConfigInput = z.input<typeof configSchema>;
export type ParsedConfig = z.output<typeof configSchema>;
