// `pnpm bench [--check] [--only a,b] [--quick]`: runs the benchmarks on a private redis-server,
// prints one table, writes bench/results.json; with --check, exits 1 when a target is missed.

import { writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { openBenchContext } from './support/bench-context.js';
import { printTable } from './support/table.js';
import type { Benchmark, BenchResult } from './support/results.js';
import { complexity } from './complexity.js';
import { dispatchOverhead } from './dispatch-overhead.js';
import { endToEnd } from './end-to-end.js';
import { latency } from './latency.js';
import { memory } from './memory.js';
import { pollFanout } from './poll-fanout.js';
import { rateLimit } from './rate-limit.js';
import { scaling } from './scaling.js';
import { startUp } from './start-up.js';

const BENCHMARKS: readonly Benchmark[] = [pollFanout, complexity, dispatchOverhead, rateLimit, endToEnd, latency, scaling, memory, startUp];

const USAGE = `usage: pnpm bench [--check] [--only ${BENCHMARKS.map((b) => b.name).join(',')}] [--quick]`;

async function main(): Promise<number> {
  let options;
  try {
    options = parseArgs({
      options: {
        check: { type: 'boolean', default: false },
        only: { type: 'string' },
        quick: { type: 'boolean', default: false },
        help: { type: 'boolean' },
      },
      strict: true,
    }).values;
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (options.help) {
    console.log(USAGE);
    return 0;
  }
  const names = options.only
    ?.split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  const unknown = names?.filter((name) => !BENCHMARKS.some((b) => b.name === name)) ?? [];
  if (unknown.length > 0) {
    console.error(`unknown benchmark ${unknown.join(', ')}\n${USAGE}`);
    return 2;
  }
  const selected = BENCHMARKS.filter((b) => names === undefined || names.includes(b.name));

  // Node reads NODE_EXTRA_CA_CERTS at every start-up (a CA bundle costs ~70 ms of CPU per process here);
  // no benchmark talks TLS, and every spawned process — stand-in submits, workers, the baselines — inherits this.
  delete process.env.NODE_EXTRA_CA_CERTS;

  const started = performance.now();
  // Other processes' load moves every number here; it is printed so a reader can judge the run.
  const loadBefore = loadavg()[0] ?? 0;
  const context = await openBenchContext({ quick: options.quick });
  const results: Array<{ name: string; title: string; seconds: number } & BenchResult> = [];
  try {
    for (const bench of selected) {
      process.stderr.write(`running ${bench.name}…\n`);
      const benchStarted = performance.now();
      const result = await bench.run(context);
      results.push({ name: bench.name, title: bench.title, seconds: (performance.now() - benchStarted) / 1000, ...result });
    }
  } finally {
    await context.close();
  }
  const totalSeconds = (performance.now() - started) / 1000;
  const loadAfter = loadavg()[0] ?? 0;
  printTable(results);
  console.log(
    `\ntotal wall time ${totalSeconds.toFixed(0)} s on ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ` +
      `${(totalmem() / 2 ** 30).toFixed(0)} GiB, ` +
      `Node.js ${process.version}; 1-min load average ${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after` +
      (options.quick ? ' (--quick: not the measurement)' : ''),
  );

  const missed = results.flatMap((r) => r.rows.filter((row) => row.pass === false).map((row) => `${r.name}: ${row.metric}`));
  await writeFile(
    new URL('./results.json', import.meta.url),
    `${JSON.stringify(
      {
        at: new Date().toISOString(),
        quick: options.quick,
        machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version, loadBefore, loadAfter },
        totalSeconds,
        results,
        missed,
      },
      null,
      2,
    )}\n`,
  );
  if (missed.length > 0) console.log(`\nmissed: ${missed.join('; ')}`);
  return options.check && missed.length > 0 ? 1 : 0;
}

process.exitCode = await main();
