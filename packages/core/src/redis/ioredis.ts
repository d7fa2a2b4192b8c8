// ioredis's classes, loaded with require() rather than import: see queues/bullmq.ts. BullMQ
// require()s ioredis itself, so an ESM import here only adds Node's named-export scan of it
// (~4 MB of RSS in each process, measured on Node 20); require() returns the same objects.

import { createRequire } from 'node:module';
import type * as IORedis from 'ioredis';

const ioredis = createRequire(import.meta.url)('ioredis') as typeof IORedis;

export const Redis = ioredis.Redis;
export type Redis = IORedis.Redis;
export const Cluster = ioredis.Cluster;
export type Cluster = IORedis.Cluster;
// ioredis types ReplyError (from redis-errors) as any.
// eslint-disable-next-line @typescript-eslint/no-unsafe-assignment
export const ReplyError = ioredis.ReplyError;
export type ReplyError = InstanceType<typeof IORedis.ReplyError>;
