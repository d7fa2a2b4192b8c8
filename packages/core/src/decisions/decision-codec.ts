// One decision in its stored form: a one-character kind code and the kind's fields in a fixed order,
// no JSON keys. Strings that recur across projects (targets, statuses, filter rules, result-root
// prefixes, farm job id prefixes) go into the shared string table; numbers are base 36, times
// relative to the entry's. Anything the table below cannot say exactly (a kind added later, a
// fractional number, an unexpected key) is kept as JSON, so a story never loses a field.

import { normalizeProjectName } from '../release/project-name.js';
import { DEPENDENCY_STEPS } from '../results/dependency-story.js';
import type { Decision } from './decision-types.js';
import {
  BATCH,
  EMPTY,
  GS,
  JOB_NUMBER,
  MalformedStoryError,
  NUM,
  SUBJECT,
  US,
  joinParts,
  packText,
  parseSigned36,
  signed36,
  unpackField,
  type UnpackContext,
} from './story-text.js';

type FieldType = 'text' | 'shared' | 'int' | 'since' | 'until' | 'bool' | 'batch' | 'job' | 'root' | 'list' | readonly string[];

interface FieldSpec {
  readonly key: string;
  readonly type: FieldType;
  readonly optional?: boolean;
  /** An int field stored as nothing when it has this value. */
  readonly usual?: number;
}

interface KindSpec {
  readonly kind: string;
  readonly code: string;
  readonly fields: readonly FieldSpec[];
}

// Codes and field orders are stored data: never change one, only add. Fields most often absent go last
// (an entry's trailing empty fields are not written).
const KINDS: readonly KindSpec[] = [
  { kind: 'invalid', code: 'i', fields: [{ key: 'reason', type: 'text' }] },
  { kind: 'filtered', code: 'f', fields: [{ key: 'rule', type: 'shared' }] },
  { kind: 'duplicate', code: 'd', fields: [{ key: 'detail', type: 'shared' }] },
  {
    kind: 'queued',
    code: 'q',
    fields: [
      { key: 'batchId', type: 'batch' },
      { key: 'jobs', type: 'int', usual: 1 },
      { key: 'joined', type: 'list', optional: true },
      { key: 'origin', type: ['poll', 'enqueue'] },
    ],
  },
  {
    kind: 'waiting',
    code: 'w',
    fields: [
      { key: 'since', type: 'since' },
      { key: 'detail', type: 'shared', optional: true },
    ],
  },
  { kind: 'held', code: 'h', fields: [{ key: 'until', type: 'until' }] },
  { kind: 'no-sdist', code: 'n', fields: [{ key: 'since', type: 'since' }] },
  { kind: 'superseded', code: 'p', fields: [{ key: 'by', type: 'text' }] },
  {
    kind: 'withdrawn',
    code: 'x',
    fields: [
      { key: 'detail', type: 'shared' },
      { key: 'reason', type: 'shared', optional: true },
      { key: 'afterSubmit', type: 'bool', optional: true },
    ],
  },
  {
    kind: 'restored',
    code: 'u',
    fields: [
      { key: 'reason', type: 'shared' },
      { key: 'detail', type: 'text' },
    ],
  },
  {
    kind: 'submitted',
    code: 'S',
    fields: [
      { key: 'target', type: 'shared' },
      { key: 'farmJobId', type: 'job' },
      { key: 'resultRoot', type: 'root', optional: true },
    ],
  },
  {
    kind: 'submit-failed',
    code: 'F',
    fields: [
      { key: 'target', type: 'shared' },
      { key: 'final', type: 'bool' },
      { key: 'reason', type: 'text' },
    ],
  },
  {
    kind: 'result',
    code: 'R',
    fields: [
      { key: 'target', type: 'shared' },
      { key: 'status', type: 'shared' },
      { key: 'failureKind', type: 'shared', optional: true },
    ],
  },
  {
    kind: 'resubmitted',
    code: 'B',
    fields: [
      { key: 'target', type: 'shared' },
      { key: 'resubmit', type: 'int', usual: 1 },
      { key: 'reason', type: 'shared' },
    ],
  },
  {
    kind: 'dependency',
    code: 'D',
    fields: [
      { key: 'step', type: DEPENDENCY_STEPS },
      { key: 'module', type: 'text' },
      { key: 'project', type: 'text', optional: true },
      { key: 'jobId', type: 'text', optional: true },
      { key: 'farmJobId', type: 'job', optional: true },
      { key: 'dependent', type: 'text', optional: true },
      { key: 'detail', type: 'text', optional: true },
    ],
  },
];

/** A decision kept as JSON: one field, the packed JSON text. */
const JSON_CODE = 'J';
const BY_KIND = new Map(KINDS.map((spec) => [spec.kind, spec]));
const KEYS_OF = new Map(KINDS.map((spec) => [spec, new Set(['kind', ...spec.fields.map((field) => field.key)])]));
const BY_CODE = new Map(KINDS.map((spec) => [spec.code, spec]));

export interface EncodeContext {
  readonly subject: string;
  /** The entry's time (ms). */
  readonly at: number;
  /** A LOCAL token standing for the text in the shared table, or undefined when it is stored inline. */
  readonly share: (text: string) => string | undefined;
}

/** The stored body of a decision: its code and fields, US between them, nothing trailing. */
export function encodeDecision(decision: Decision, context: EncodeContext): string {
  const spec = BY_KIND.get(decision.kind);
  const fields = spec ? encodeFields(decision as unknown as Record<string, unknown>, spec, context) : undefined;
  if (!spec || !fields) return `${JSON_CODE}${US}${packText(JSON.stringify(decision))}`;
  while (fields.length > 0 && fields.at(-1) === '') fields.pop();
  return [spec.code, ...fields].join(US);
}

function encodeFields(decision: Record<string, unknown>, spec: KindSpec, context: EncodeContext): string[] | undefined {
  const known = KEYS_OF.get(spec)!;
  for (const key in decision) {
    if (!known.has(key) && decision[key] !== undefined) return undefined;
  }
  const state: FieldState = { subject: context.subject, at: context.at, share: context.share, jobNumber: undefined };
  const fields: string[] = [];
  for (const field of spec.fields) {
    const value = decision[field.key];
    if (value === undefined) {
      if (!field.optional) return undefined;
      fields.push('');
      continue;
    }
    const encoded = encodeField(value, field, state);
    if (encoded === undefined) return undefined;
    fields.push(field.optional && encoded === '' ? EMPTY : encoded);
  }
  return fields;
}

interface FieldState extends EncodeContext {
  jobNumber: string | undefined;
}

function encodeField(value: unknown, field: FieldSpec, state: FieldState): string | undefined {
  const type = field.type;
  if (typeof type !== 'string') {
    const index = typeof value === 'string' ? type.indexOf(value) : -1;
    return index === -1 ? undefined : index === 0 ? '' : index.toString(36);
  }
  switch (type) {
    case 'int':
      return !Number.isSafeInteger(value) ? undefined : value === field.usual ? '' : signed36(value as number);
    case 'since':
    case 'until': {
      if (!Number.isSafeInteger(value)) return undefined;
      const offset = type === 'since' ? state.at - (value as number) : (value as number) - state.at;
      return Number.isSafeInteger(offset) ? signed36(offset) : undefined;
    }
    case 'bool':
      return typeof value === 'boolean' ? (value ? '1' : '0') : undefined;
    case 'list': {
      if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) return undefined;
      if (value.length === 0) return EMPTY;
      const packed = value.map((item: string) => packWithSubject(item, '|', state.subject)).join(GS);
      // `['']` would read back as an empty list.
      return packed === '' ? undefined : packed;
    }
  }
  if (typeof value !== 'string') return undefined;
  switch (type) {
    case 'text':
      return packText(value);
    case 'shared':
      return state.share(value) ?? packText(value);
    case 'batch':
      return packBatchId(value, state.at);
    case 'job':
      state.jobNumber = jobNumberOf(value);
      return packFarmJobId(value, state);
    case 'root':
      return packResultRoot(value, state);
  }
}

/** Decodes a stored body (code, then fields). Throws MalformedStoryError on anything no encoder writes. */
export function decodeDecision(fields: readonly string[], context: UnpackContext & { readonly at: number }): Decision {
  const [code, ...rest] = fields;
  if (code === JSON_CODE) {
    const parsed: unknown = JSON.parse(unpackField(rest[0] ?? '', context));
    if (typeof parsed !== 'object' || parsed === null || typeof (parsed as { kind?: unknown }).kind !== 'string') {
      throw new MalformedStoryError('JSON decision without a kind');
    }
    return parsed as Decision;
  }
  const spec = code === undefined ? undefined : BY_CODE.get(code);
  if (!spec) throw new MalformedStoryError(`unknown decision code ${JSON.stringify(code)}`);
  const state: UnpackContext & { at: number } = { ...context, jobNumber: undefined };
  const decision: Record<string, unknown> = { kind: spec.kind };
  spec.fields.forEach((field, index) => {
    const raw = rest[index] ?? '';
    if (field.optional && raw === '') return;
    decision[field.key] = decodeField(raw, field, state);
  });
  return decision as unknown as Decision;
}

function decodeField(raw: string, field: FieldSpec, state: UnpackContext & { at: number }): unknown {
  const type = field.type;
  const number = (): number => {
    const value = parseSigned36(raw);
    if (value === undefined) throw new MalformedStoryError(`bad number ${JSON.stringify(raw)}`);
    return value;
  };
  if (typeof type !== 'string') {
    const value = raw === '' ? type[0] : type[number()];
    if (value === undefined) throw new MalformedStoryError(`bad choice ${JSON.stringify(raw)}`);
    return value;
  }
  switch (type) {
    case 'int':
      return raw === '' && field.usual !== undefined ? field.usual : number();
    case 'since':
      return state.at - number();
    case 'until':
      return state.at + number();
    case 'bool':
      if (raw !== '0' && raw !== '1') throw new MalformedStoryError(`bad flag ${JSON.stringify(raw)}`);
      return raw === '1';
    case 'list':
      return raw === EMPTY ? [] : raw.split(GS).map((item) => unpackField(item, state));
    case 'batch':
      return raw.startsWith(BATCH) ? batchIdAt(Math.floor(state.at / 1000) + parseSignedOrThrow(raw.slice(1))) : unpackField(raw, state);
    case 'job': {
      const value = unpackField(raw, state);
      state.jobNumber = jobNumberOf(value);
      return value;
    }
    default:
      return unpackField(raw, state);
  }
}

function parseSignedOrThrow(text: string): number {
  const value = parseSigned36(text);
  if (value === undefined) throw new MalformedStoryError(`bad number ${JSON.stringify(text)}`);
  return value;
}

/** Parts split by `separator`, a part equal to the subject written as SUBJECT. */
function packWithSubject(text: string, separator: string, subject: string): string {
  return text
    .split(separator)
    .map((part) => (part === subject && subject !== '' ? SUBJECT : packText(part)))
    .join(separator);
}

const BATCH_ID = /^submit-log-(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})$/;

// A poll's records share one batch id and one time: its form is worked out once.
let lastBatch = { batchId: '', at: NaN, packed: '' };

/** `submit-log-20261201-080003` as seconds from the entry's time (the stamp read as if UTC), when that gives it back exactly. */
function packBatchId(batchId: string, at: number): string {
  if (lastBatch.batchId === batchId && lastBatch.at === at) return lastBatch.packed;
  const packed = packBatchIdOnce(batchId, at);
  lastBatch = { batchId, at, packed };
  return packed;
}

function packBatchIdOnce(batchId: string, at: number): string {
  const match = BATCH_ID.exec(batchId);
  if (match) {
    const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [number, number, number, number, number, number];
    const seconds = Date.UTC(year, month - 1, day, hour, minute, second) / 1000;
    if (Number.isSafeInteger(seconds) && batchIdAt(seconds) === batchId) return BATCH + signed36(seconds - Math.floor(at / 1000));
  }
  return packText(batchId);
}

function batchIdAt(seconds: number): string {
  const date = new Date(seconds * 1000);
  if (Number.isNaN(date.getTime())) throw new MalformedStoryError('bad batch time');
  const two = (value: number): string => String(value).padStart(2, '0');
  const day = `${String(date.getUTCFullYear()).padStart(4, '0')}${two(date.getUTCMonth() + 1)}${two(date.getUTCDate())}`;
  return `submit-log-${day}-${two(date.getUTCHours())}${two(date.getUTCMinutes())}${two(date.getUTCSeconds())}`;
}

/** The digits a farm job id ends with (`crystal.1042` → `1042`): result roots usually repeat them. */
function jobNumberOf(farmJobId: string): string | undefined {
  return /\d+$/.exec(farmJobId)?.[0];
}

const JOB_TAIL = /^([^]*?)([1-9]\d{0,14})$/;

/** `crystal.1042`: the prefix shared, the number in base 36. */
function packFarmJobId(farmJobId: string, state: FieldState): string {
  const match = JOB_TAIL.exec(farmJobId);
  if (!match) return packText(farmJobId);
  const [, prefix = '', digits = ''] = match;
  return joinParts([prefix === '' ? '' : (state.share(prefix) ?? packText(prefix)), NUM + Number(digits).toString(36)]);
}

/**
 * A result root is a farm-wide prefix (suite, day, testbox) then the project and the job number:
 * the prefix up to the first segment naming the project or the job is shared, the rest stored with
 * SUBJECT and JOB_NUMBER where a segment is exactly one of them.
 */
function packResultRoot(root: string, state: FieldState): string {
  const segments = root.split('/');
  if (segments.length < 2) return packText(root);
  const { subject, jobNumber } = state;
  const isOwn = (segment: string): boolean =>
    segment !== '' && (segment === subject || segment === jobNumber || normalizeProjectName(segment) === subject);
  let cut = segments.findIndex((segment, index) => index > 0 && isOwn(segment));
  if (cut === -1) cut = segments.length - 1;
  const prefix = `${segments.slice(0, cut).join('/')}/`;
  const rest = segments
    .slice(cut)
    .map((segment) => (segment === '' ? '' : segment === subject ? SUBJECT : segment === jobNumber ? JOB_NUMBER : packText(segment)))
    .join('/');
  return joinParts([state.share(prefix) ?? packText(prefix), rest]);
}
