#!/usr/bin/env node
// Run by bundle-vendor.mjs, in a fresh node (no flags: V8 takes a cache only under the flags that made
// it). Does what every command does at start, through the built code: the config (zod, and yaml for
// the file), a logger (pino), a Redis client (ioredis, not connected); then keeps V8's compiled code of
// each vendored bundle, the functions that work compiled included (src/vendor/cached-bundle.ts).
// Only speed depends on it: a bundle whose cache is missing or stale compiles as it would without.

import { Writable } from 'node:stream';
import { loadConfig } from '../dist/config/load-config.js';
import { createLogger } from '../dist/logging/logger.js';
import { Redis } from '../dist/redis/ioredis.js';
import { writeBundleCaches } from '../dist/vendor/cached-bundle.js';
import { parse, stringify } from '../dist/vendor/yaml.js';

// The defaults, as a command without a config file has them; no file and no environment of this build.
const config = loadConfig({ env: {}, cwd: '/nonexistent' });
parse(stringify({ redis: config.redis, submit: { rateLimit: config.submit.rateLimit }, sources: [{ type: 'changelog', every: '30m' }] }));
const discard = new Writable({ write: (_chunk, _encoding, done) => done() });
createLogger({ level: 'info', destination: discard, base: { app: 'build' } }).info({ config: 'loaded' }, 'warming the code cache');
new Redis({ lazyConnect: true, enableOfflineQueue: false }).disconnect();
writeBundleCaches();
