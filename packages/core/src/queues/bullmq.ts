// BullMQ's classes, loaded with require() rather than import. BullMQ ships CommonJS whose index
// re-exports ~170 files; an ESM import of it makes Node lex every one of them for named exports
// (~130 ms and ~8 MB of RSS in each process, measured on Node 20), which is most of what
// `pypi-watch status` and an idle worker cost. require() gives the very same module objects, so
// `instanceof` across this file and a plain `import from 'bullmq'` (tests, the bench) still holds.

import { createRequire } from 'node:module';
import type * as BullMQ from 'bullmq';

const bullmq = createRequire(import.meta.url)('bullmq') as typeof BullMQ;

export const Queue = bullmq.Queue;
export type Queue = BullMQ.Queue;
export const Worker = bullmq.Worker;
export type Worker = BullMQ.Worker;
export const UnrecoverableError = bullmq.UnrecoverableError;
export type UnrecoverableError = BullMQ.UnrecoverableError;
export const DelayedError = bullmq.DelayedError;
export type DelayedError = BullMQ.DelayedError;
