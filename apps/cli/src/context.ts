// Config, logger and runtime for a CLI command, opened the same way by every command.

// Narrow entry points, not the index: every command starts here, and `status` or a submit-only
// worker must not pay for loading the feed clients (got, fast-xml-parser) or execa.
import { loadConfig, type Config } from '@pypi-watch/core/config';
import { configuredSecretValues, createLogger, type Logger } from '@pypi-watch/core/logger';
import { openRuntime, type Runtime } from '@pypi-watch/core/runtime';

export interface CommandContext {
  readonly config: Config;
  readonly logger: Logger;
}

/**
 * Services (start, worker, scheduler, dashboard) log JSON to stdout at `log.level`. One-shot
 * commands print their answer to stdout, so their log lines go to stderr, warnings and up.
 */
export function commandContext(configFile: string | undefined, kind: 'service' | 'oneshot', app: string): CommandContext {
  const config = loadConfig(configFile === undefined ? {} : { file: configFile });
  const level = kind === 'service' || process.env.LOG_LEVEL ? config.log.level : 'warn';
  const logger = createLogger({
    level,
    base: { app },
    secrets: configuredSecretValues(config),
    ...(kind === 'oneshot' ? { destination: 'stderr' as const } : {}),
  });
  return { config, logger };
}

export function openCommandRuntime(context: CommandContext, app: string): Promise<Runtime> {
  // `start` owns the embedded redis-server, so it may replace one whose endpoint file went stale; others refuse.
  return openRuntime({
    config: context.config,
    logger: context.logger,
    connectionName: `pypi-watch:${app}`,
    replaceStaleEmbeddedRedis: app === 'start',
  });
}
