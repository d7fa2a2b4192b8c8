// A strict reader of the Prometheus text exposition format (0.0.4), so tests fail on anything a scraper would reject.

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Exposition {
  readonly types: ReadonlyMap<string, string>;
  readonly samples: readonly Sample[];
  /** The one sample with this name and exactly these labels; throws when there is none. */
  value(name: string, labels?: Record<string, string>): number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$/;
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"\s*(,|$)/y;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const SUFFIXES: Record<string, readonly string[]> = { histogram: ['_bucket', '_sum', '_count'], summary: ['', '_sum', '_count'] };

export function parseExposition(text: string): Exposition {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  const seen = new Set<string>();
  text.split('\n').forEach((line, index) => {
    const where = `line ${index + 1}: ${JSON.stringify(line)}`;
    if (line.trim() === '') return;
    if (line.startsWith('#')) {
      const [, keyword, name, rest] = /^#\s+(HELP|TYPE)\s+(\S+)\s*(.*)$/.exec(line) ?? [];
      if (!keyword) return; // a plain comment
      if (!name || !NAME.test(name)) throw new Error(`${where}: bad metric name`);
      if (keyword === 'TYPE') {
        if (!TYPES.has(rest ?? '')) throw new Error(`${where}: unknown type`);
        if (types.has(name)) throw new Error(`${where}: second TYPE for ${name}`);
        types.set(name, rest ?? '');
      }
      return;
    }
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`${where}: not a sample line`);
    const [, name = '', rawLabels = '', rawValue = ''] = match;
    const labels = parseLabels(rawLabels, where);
    const value = parseValue(rawValue, where);
    const family = familyOf(name, types);
    if (!family) throw new Error(`${where}: sample without a TYPE line before it`);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (seen.has(key)) throw new Error(`${where}: duplicate sample`);
    seen.add(key);
    if (types.get(family) === 'counter' && value < 0) throw new Error(`${where}: negative counter`);
    samples.push({ name, labels, value });
  });
  checkHistograms(types, samples);
  return {
    types,
    samples,
    value: (name, labels = {}) => {
      const found = samples.find(
        (s) =>
          s.name === name &&
          Object.keys(s.labels).length === Object.keys(labels).length &&
          Object.entries(labels).every(([k, v]) => s.labels[k] === v),
      );
      if (!found) throw new Error(`no sample ${name}${JSON.stringify(labels)}`);
      return found.value;
    },
  };
}

function parseLabels(raw: string, where: string): Record<string, string> {
  const labels: Record<string, string> = {};
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < raw.length) {
    const start = LABEL.lastIndex;
    const match = LABEL.exec(raw);
    if (!match || match.index !== start) throw new Error(`${where}: bad labels`);
    const [, key = '', value = ''] = match;
    if (key in labels) throw new Error(`${where}: label ${key} twice`);
    labels[key] = value.replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
  }
  return labels;
}

function parseValue(raw: string, where: string): number {
  if (raw === '+Inf') return Number.POSITIVE_INFINITY;
  if (raw === '-Inf') return Number.NEGATIVE_INFINITY;
  if (raw === 'NaN') return Number.NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(raw)) throw new Error(`${where}: bad value`);
  return Number(raw);
}

function familyOf(name: string, types: ReadonlyMap<string, string>): string | undefined {
  if (types.has(name) && !SUFFIXES[types.get(name) ?? '']) return name;
  for (const [family, type] of types) {
    for (const suffix of SUFFIXES[type] ?? []) if (name === family + suffix) return family;
  }
  return undefined;
}

/** Buckets cumulative, an +Inf bucket equal to _count, per label set. */
function checkHistograms(types: ReadonlyMap<string, string>, samples: readonly Sample[]): void {
  for (const [family, type] of types) {
    if (type !== 'histogram') continue;
    const groups = new Map<string, Sample[]>();
    for (const sample of samples.filter((s) => s.name === `${family}_bucket`)) {
      const { le, ...rest } = sample.labels;
      if (le === undefined) throw new Error(`${family}_bucket without le`);
      const key = JSON.stringify(Object.entries(rest).sort());
      groups.set(key, [...(groups.get(key) ?? []), sample]);
    }
    for (const [key, buckets] of groups) {
      const sorted = [...buckets].sort((a, b) => parseValue(a.labels.le ?? '', family) - parseValue(b.labels.le ?? '', family));
      sorted.forEach((bucket, i) => {
        if (i > 0 && bucket.value < (sorted[i - 1]?.value ?? 0)) throw new Error(`histogram ${family} buckets are not cumulative`);
      });
      const inf = sorted.at(-1);
      if (inf?.labels.le !== '+Inf') throw new Error(`histogram ${family} has no +Inf bucket`);
      const count = samples.find((s) => s.name === `${family}_count` && JSON.stringify(Object.entries(s.labels).sort()) === key);
      if (count?.value !== inf.value) throw new Error(`histogram ${family}: +Inf bucket ${inf.value} != _count ${count?.value}`);
    }
  }
}
