// Config, logger and runtime for a CLI command, opened the same way by every command.

// Narrow entry points, not the index: every command starts here, and `status` or a submit-only
// worker must not pay for loading the feed clients (got, fast-xml-parser) or execa. The runtime
// (BullMQ) is loaded only by the commands that open one: `status` reads over a plain connection.
import { loadConfig, type Config } from '@pypi-watch/core/config';
import { openConnection, type Connection } from '@pypi-watch/core/connection';
import { configuredSecretValues, createLogger, type Logger } from '@pypi-watch/core/logger';
import type { Runtime } from '@pypi-watch/core/runtime';

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

function connectionOptions(context: CommandContext, app: string) {
  // `start` owns the embedded redis-server, so it may replace one whose endpoint file went stale; others refuse.
  return {
    config: context.config,
    logger: context.logger,
    connectionName: `pypi-watch:${app}`,
    replaceStaleEmbeddedRedis: app === 'start',
  };
}

export async function openCommandRuntime(context: CommandContext, app: string): Promise<Runtime> {
  const { openRuntime } = await import('@pypi-watch/core/runtime');
  return openRuntime(connectionOptions(context, app));
}

/** Redis alone, without BullMQ's queues or the stores: for commands that only read (`status`). */
export function openCommandConnection(context: CommandContext, app: string): Promise<Connection> {
  return openConnection(connectionOptions(context, app));
}
