// Benchmark 6: how poll time grows with the number of new releases, per 10× (linear is 10×).

import { measurePoll } from './poll-fanout.js';
import { atMost, count, millis, ratio, type Benchmark, type BenchRow } from './support/results.js';

const TARGET = 12;

export const complexity: Benchmark = {
  name: 'complexity',
  title: 'Poll time growth per 10× releases',
  async run(context) {
    const sizes = context.quick ? [1_000, 10_000] : [1_000, 10_000, 100_000];
    // Reuses poll-fanout's measurements when it ran first in this run.
    const measured = [];
    for (const size of sizes) measured.push(await measurePoll(context, size));
    const rows: BenchRow[] = [];
    for (let index = 1; index < measured.length; index++) {
      const small = measured[index - 1]!;
      const large = measured[index]!;
      const label = `${count(small.releases / 1000)}k → ${count(large.releases / 1000)}k`;
      rows.push({
        metric: `${label}: whole poll [target]`,
        measured: millis(large.pollMs),
        baseline: millis(small.pollMs),
        ...atMost(large.pollMs / small.pollMs, TARGET, ratio),
      });
      rows.push({
        metric: `${label}: poll minus fetch`,
        measured: millis(large.pollMs - large.fetchMs),
        baseline: millis(small.pollMs - small.fetchMs),
        result: ratio((large.pollMs - large.fetchMs) / (small.pollMs - small.fetchMs)),
      });
      rows.push({
        metric: `${label}: fetch alone (fake PyPI + XML-RPC decode)`,
        measured: millis(large.fetchMs),
        baseline: millis(small.fetchMs),
        result: ratio(large.fetchMs / small.fetchMs),
      });
      rows.push({
        metric: `${label}: decision log alone (DecisionLog.record)`,
        measured: millis(large.decisionLogMs),
        baseline: millis(small.decisionLogMs),
        result: ratio(large.decisionLogMs / small.decisionLogMs),
      });
      rows.push({
        metric: `${label}: GC pauses during the poll`,
        measured: millis(large.gcMs),
        baseline: millis(small.gcMs),
        result: ratio(large.gcMs / small.gcMs),
      });
    }
    return { rows, details: Object.fromEntries(measured.map((m) => [String(m.releases), m])) };
  },
};
