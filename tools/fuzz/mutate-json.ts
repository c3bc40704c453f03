/**
 * Mutations of one node of a JSON document, shared by the bundle, opening and claim fuzz
 * classes: a number nudged or negated, a decimal re-encoded (hex, leading zero, + p, + r), a
 * field deleted, retyped or wrapped, an unknown field added, a value made huge.
 */
import { FIELD_PRIME } from '../../circuits/field.js';
import { BASE_FIELD_PRIME } from '../../src/core/bn254.js';

/** A path into a JSON value. */
export type Path = ReadonlyArray<string | number>;

/** Every path to a leaf or a container of `v`, root excluded. */
export function paths(v: unknown, at: Path = []): Path[] {
  if (v === null || typeof v !== 'object') return [at];
  const keys = Array.isArray(v) ? v.map((_, i) => i) : Object.keys(v);
  return [
    ...(at.length ? [at] : []),
    ...keys.flatMap((k) => paths((v as Record<string | number, unknown>)[k], [...at, k])),
  ];
}

function getAt(v: unknown, p: Path): unknown {
  return p.reduce<unknown>((o, k) => (o as Record<string | number, unknown>)[k], v);
}

function setAt(v: unknown, p: Path, value: unknown, remove = false): void {
  const parent = getAt(v, p.slice(0, -1)) as Record<string | number, unknown>;
  const k = p[p.length - 1]!;
  if (remove) {
    if (Array.isArray(parent)) parent.splice(k as number, 1);
    else delete parent[k];
  } else parent[k] = value;
}

/** The mutations of one node. */
export const MUTATIONS = [
  'plus-one',
  'minus-one',
  'hex',
  'leading-zero',
  'plus-p',
  'plus-r',
  'delete',
  'to-string',
  'to-number',
  'to-null',
  'to-array',
  'extra-field',
  'negate',
  'huge',
] as const;

function mutate(value: unknown, m: Mutation): { value?: unknown; remove?: boolean } {
  const isDecimal = typeof value === 'string' && /^-?\d+$/.test(value);
  switch (m) {
    case 'plus-one':
      return {
        value: typeof value === 'number' ? value + 1 : isDecimal ? String(BigInt(value) + 1n) : `${String(value)}1`,
      };
    case 'minus-one':
      return {
        value:
          typeof value === 'number' ? value - 1 : isDecimal ? String(BigInt(value) - 1n) : String(value).slice(0, -1),
      };
    case 'hex':
      return {
        value: isDecimal
          ? `0x${BigInt(value).toString(16)}`
          : typeof value === 'number'
            ? `0x${Math.trunc(value).toString(16)}`
            : value,
      };
    case 'leading-zero':
      return { value: isDecimal ? `0${value}` : typeof value === 'number' ? `0${value}` : ` ${String(value)}` };
    case 'plus-p':
      return { value: isDecimal ? String(BigInt(value) + BASE_FIELD_PRIME) : value };
    case 'plus-r':
      return { value: isDecimal ? String(BigInt(value) + FIELD_PRIME) : value };
    case 'delete':
      return { remove: true };
    case 'to-string':
      return { value: JSON.stringify(value) };
    case 'to-number':
      return { value: 7 };
    case 'to-null':
      return { value: null };
    case 'to-array':
      return { value: [value] };
    case 'extra-field':
      return {
        value:
          value !== null && typeof value === 'object' && !Array.isArray(value)
            ? { ...value, trusted: true }
            : { value },
      };
    case 'negate':
      return { value: typeof value === 'number' ? -value - 1 : isDecimal ? String(-BigInt(value) - 1n) : value };
    case 'huge':
      return { value: typeof value === 'number' ? 1e300 : '9'.repeat(200) };
  }
}

/** One of {@link MUTATIONS}. */
export type Mutation = (typeof MUTATIONS)[number];

/** Applies mutation `m` at path `p` of `doc` in place; returns whether the document changed. */
export function mutateAt(doc: unknown, p: Path, m: Mutation): boolean {
  const before = JSON.stringify(doc);
  const { value, remove } = mutate(getAt(doc, p), m);
  setAt(doc, p, value, remove);
  return JSON.stringify(doc) !== before;
}
