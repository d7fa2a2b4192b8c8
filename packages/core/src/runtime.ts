// What every pypi-watch process that runs or adds jobs opens: the connection (connection.ts), and
// BullMQ's queues and pypi-watch's stores over it.

import type { Connection, OpenConnectionOptions } from './connection.js';
import { openConnection } from './connection.js';
import { createQueues, type Queues } from './queues/queues.js';
import { createStores, type Stores } from './wiring/create-stores.js';

export { embeddedRedisDir } from './connection.js';

export interface Runtime extends Connection {
  readonly queues: Queues;
  /** Every store of pypi-watch's own keys, built from config over `redis`. */
  readonly stores: Stores;
}

export type OpenRuntimeOptions = OpenConnectionOptions;

export async function openRuntime(options: OpenRuntimeOptions): Promise<Runtime> {
  const connection = await openConnection(options);
  const { logger, redis, config } = connection;
  const queues = createQueues(redis, config);
  // Without a listener BullMQ prints connection errors to stderr as raw stack traces.
  for (const queue of queues.all) {
    queue.on('error', (error: Error) => logger.warn({ err: error, queue: queue.name }, 'queue connection error'));
  }
  return {
    ...connection,
    queues,
    stores: createStores(config, redis, connection.queueState.key('submit', '')),
    close: async () => {
      await queues.close();
      await connection.close();
    },
  };
}
