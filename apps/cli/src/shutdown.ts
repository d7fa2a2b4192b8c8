// Turns SIGINT/SIGTERM into one orderly stop; a second signal exits at once.

import type { Logger } from '@pypi-watch/core';

export function onShutdownSignal(logger: Logger, stop: (signal: NodeJS.Signals) => Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    let stopping = false;
    const handler = (signal: NodeJS.Signals): void => {
      if (stopping) {
        logger.warn({ signal }, 'second signal: exiting now');
        process.exit(130);
      }
      stopping = true;
      logger.info({ signal }, 'shutting down');
      stop(signal).then(resolve, (err: unknown) => {
        logger.error({ err }, 'error during shutdown');
        process.exitCode = 1;
        resolve();
      });
    };
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
  });
}
