// `node --import ./record-requires.mjs …`: on exit, writes the path of every CommonJS module the process
// loaded (require.cache) to the file named by RECORD_REQUIRES_FILE. On Node 20 the module hooks of
// record-loads.mjs see ES modules only; BullMQ, ioredis and pino are CommonJS, loaded through require().
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const { cache } = createRequire(import.meta.url);
process.on('exit', () => {
  writeFileSync(process.env.RECORD_REQUIRES_FILE, Object.keys(cache).join('\n') + '\n');
});
