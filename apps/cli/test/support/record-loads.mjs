// `node --import ./record-loads.mjs …`: appends the URL of every module the process loads (ESM and
// CommonJS alike, through the module hooks) to the file named by RECORD_LOADS_FILE.
import { register } from 'node:module';

const hooks = `
import { appendFileSync } from 'node:fs';
export async function load(url, context, nextLoad) {
  appendFileSync(process.env.RECORD_LOADS_FILE, url + '\\n');
  return nextLoad(url, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`, import.meta.url);
