// Config, logger and runtime for a CLI command, opened the same way by every command.

import { configuredSecretValues, createLogger, loadConfig, openRuntime, type Config, type Logger, type Runtime } from '@pypi-watch/core';

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
  return openRuntime({ config: context.config, logger: context.logger, connectionName: `pypi-watch:${app}`, replaceStaleEmbeddedRedis: app === 'start' });
}
