// @pypi-watch/test-utils: what the tests, the bench and the crash suite share. Private, never built:
// vitest and tsx read these sources directly.

export * from './paths.js';
export * from './build-dist.js';
export * from './test-redis.js';
export * from './test-config.js';
export * from './log-capture.js';
export * from './wait-for.js';
export * from './fake-pypi.js';
export * from './fake-redis-server.js';
export * from './standin-submit.js';
export * from './worker-harness.js';
export * from './poll-harness.js';
export * from './cli-process.js';
export * from './cli-setup.js';
export * from './webhook-receiver.js';
export * from './redis-dump.js';
export * from './cleanups-after-each.js';
export * from './test-runtime.js';
export * from './play-farm.js';
export * from './seeded-random.js';
