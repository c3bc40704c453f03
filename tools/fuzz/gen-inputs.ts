/**
 * Fuzz classes for the input formats: JSON inputs (types, counts, depth, encodings, extra
 * fields that must be ignored), TensorProto `.pb` inputs (dims, truncation, flips) and
 * calibration files. Inputs are proven against the fixture build (`prove`), calibration sets
 * quantized (`quantize`).
 */
import fc from 'fast-check';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundlePathNamed } from '../../src/formats/paths.js';
import onnxProto from 'onnx-proto';
import type { FuzzCase, FuzzGenerator } from './harness.js';
import type { Fixtures } from './fixtures.js';

const { onnx } = onnxProto;

/** A replacement token for one input value, and whether it must be refused. */
const TOKENS: ReadonlyArray<readonly [string, boolean]> = [
  ['"x"', true],
  ['null', true],
  ['true', true],
  ['{}', true],
  ['[]', true],
  ['"1"', true],
  ['NaN', true],
  ['Infinity', true],
  ['-Infinity', true],
  ['1e400', true],
  ['-1e400', true],
  ['1e308', false],
  ['-0', false],
  ['0.5e-320', false],
  ['123456789012345678901234567890', false],
  ['[0.5]', false],
  ['[[1]]', false],
];

type InputRecipe =
  | { kind: 'extra-fields'; extras: Record<string, string | number | null> }
  | { kind: 'token'; index: number; token: number }
  | { kind: 'count'; delta: number }
  | { kind: 'depth'; depth: number; object: boolean }
  | {
      kind: 'encoding';
      enc: 'bom' | 'utf16' | 'nul' | 'invalid-utf8' | 'empty' | 'whitespace' | 'truncate';
      at: number;
    }
  | { kind: 'flips'; flips: Array<[number, number]> }
  | { kind: 'nested'; rows: number };

const inputRecipe: fc.Arbitrary<InputRecipe> = fc.oneof(
  fc.record({
    kind: fc.constant('extra-fields' as const),
    extras: fc.dictionary(
      fc.constantFrom('label', 'note', 'meta', 'source', 'NaN', 'Infinity'),
      fc.oneof(
        fc.constantFrom('NaN', 'Infinity', '…Infinity…', '-Infinity', 'null', '\u0000\n"'),
        fc.integer(),
        fc.constant(null),
      ),
      { minKeys: 1 },
    ),
  }),
  fc.record({ kind: fc.constant('token' as const), index: fc.nat(63), token: fc.nat(TOKENS.length - 1) }),
  fc.record({ kind: fc.constant('count' as const), delta: fc.constantFrom(-64, -1, 1, 64, 10_000) }),
  fc.record({
    kind: fc.constant('depth' as const),
    depth: fc.constantFrom(65, 200, 10_000, 100_000),
    object: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant('encoding' as const),
    enc: fc.constantFrom('bom', 'utf16', 'nul', 'invalid-utf8', 'empty', 'whitespace', 'truncate'),
    at: fc.nat(400),
  }),
  fc.record({
    kind: fc.constant('flips' as const),
    flips: fc.array(fc.tuple(fc.nat(400), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 8 }),
  }),
  fc.record({ kind: fc.constant('nested' as const), rows: fc.constantFrom(1, 2, 4, 8, 64) }),
);

/** The file bytes of a mutated input and whether it must be refused (undefined: either way). */
export function inputBytes(r: InputRecipe, sample: number[]): { bytes: Buffer; reject: boolean | undefined } {
  const text = (v: unknown) => Buffer.from(JSON.stringify(v));
  const base = text({ input: sample });
  switch (r.kind) {
    case 'extra-fields':
      return { bytes: text({ ...r.extras, input: sample }), reject: false };
    case 'token': {
      const parts = sample.map(String);
      parts[r.index % parts.length] = TOKENS[r.token]![0];
      return { bytes: Buffer.from(`{"input":[${parts.join(',')}]}`), reject: TOKENS[r.token]![1] };
    }
    case 'count': {
      const n = Math.max(0, sample.length + r.delta);
      return { bytes: text({ input: Array.from({ length: n }, (_, i) => sample[i % sample.length]) }), reject: true };
    }
    case 'depth': {
      const open = r.object ? '{"input":'.repeat(r.depth) : '['.repeat(r.depth);
      const close = r.object ? '}'.repeat(r.depth) : ']'.repeat(r.depth);
      return { bytes: Buffer.from(`${open}${JSON.stringify(sample)}${close}`), reject: true };
    }
    case 'encoding':
      switch (r.enc) {
        case 'bom':
          return { bytes: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), base]), reject: undefined };
        case 'utf16':
          return { bytes: Buffer.from(base.toString('utf8'), 'utf16le'), reject: true };
        case 'nul':
          return {
            bytes: Buffer.concat([
              base.subarray(0, r.at % base.length),
              Buffer.from([0]),
              base.subarray(r.at % base.length),
            ]),
            reject: true,
          };
        case 'invalid-utf8':
          return {
            bytes: Buffer.concat([
              base.subarray(0, r.at % base.length),
              Buffer.from([0xc3, 0x28, 0xff]),
              base.subarray(r.at % base.length),
            ]),
            reject: true,
          };
        case 'empty':
          return { bytes: Buffer.alloc(0), reject: true };
        case 'whitespace':
          return { bytes: Buffer.from(' \n\t\r '), reject: true };
        case 'truncate':
          return { bytes: base.subarray(0, r.at % base.length), reject: true };
      }
      break;
    case 'flips': {
      const b = Buffer.from(base);
      for (const [pos, x] of r.flips) b[pos % b.length] ^= x;
      return { bytes: b, reject: undefined };
    }
    case 'nested': {
      const rows: number[][] = [];
      for (let i = 0; i < sample.length; i += r.rows) rows.push(sample.slice(i, i + r.rows));
      return { bytes: text([rows]), reject: false };
    }
  }
  throw new Error('unreachable');
}

function proveCase(fx: Fixtures, dir: string, file: string, reject: boolean | undefined, label: string): FuzzCase {
  const out = join(dir, 'out');
  return {
    argv: ['prove', fx.buildDir, '--input', file, '--out', bundlePathNamed(out, 'b')],
    expect: reject === undefined ? 'any' : reject ? 'reject' : 'accept',
    outputs: [out],
    label,
  };
}

/** JSON input files through `prove`. */
export const jsonInputs: FuzzGenerator<Fixtures, InputRecipe> = {
  name: 'input JSON',
  weight: 3,
  arbitrary: () => inputRecipe,
  materialize(r, { dir, fixtures }) {
    const { bytes, reject } = inputBytes(r, fixtures.sample);
    const file = join(dir, 'input.json');
    writeFileSync(file, bytes);
    return proveCase(fixtures, dir, file, reject, JSON.stringify(r).slice(0, 200));
  },
};

type PbRecipe = {
  dims: readonly number[];
  count: number;
  truncate: number;
  flips: Array<[number, number]>;
  raw: boolean;
  dataType: number;
};

/** TensorProto `.pb` inputs through `prove`. */
export const pbInputs: FuzzGenerator<Fixtures, PbRecipe> = {
  name: 'input .pb',
  weight: 2,
  arbitrary: () =>
    fc.record({
      dims: fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom([1, 64], [64], [1, 1, 8, 8]) },
        {
          weight: 2,
          arbitrary: fc.array(fc.constantFrom(0, 1, 2, 64, -1, 2 ** 31, 2 ** 32, 2 ** 53), {
            minLength: 0,
            maxLength: 9,
          }),
        },
      ),
      count: fc.constantFrom(64, 64, 64, 63, 65, 0),
      truncate: fc.oneof(
        { weight: 3, arbitrary: fc.constant(0) },
        { weight: 1, arbitrary: fc.integer({ min: 1, max: 6 }) },
        { weight: 1, arbitrary: fc.nat(300) },
      ),
      flips: fc.oneof(
        { weight: 3, arbitrary: fc.constant([] as Array<[number, number]>) },
        {
          weight: 1,
          arbitrary: fc.array(fc.tuple(fc.nat(300), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 3 }),
        },
      ),
      raw: fc.boolean(),
      dataType: fc.constantFrom(1, 1, 1, 11, 7, 10, 99),
    }),
  materialize(r, { dir, fixtures }) {
    const data = Array.from({ length: r.count }, (_, i) => fixtures.sample[i % 64]!);
    const t: onnxProto.onnx.ITensorProto = { name: 'input', dims: [...r.dims], dataType: r.dataType };
    if (r.raw) {
      const width = r.dataType === 11 || r.dataType === 7 ? 8 : r.dataType === 10 ? 2 : 4;
      const raw = Buffer.alloc(width * data.length);
      data.forEach((v, i) =>
        r.dataType === 11
          ? raw.writeDoubleLE(v, i * 8)
          : r.dataType === 7
            ? raw.writeBigInt64LE(BigInt(Math.round(v)), i * 8)
            : r.dataType === 10
              ? raw.writeUInt16LE(0x3c00, i * 2)
              : raw.writeFloatLE(v, i * 4),
      );
      t.rawData = raw;
    } else if (r.dataType === 11) t.doubleData = data;
    else if (r.dataType === 7) t.int64Data = data.map(Math.round);
    else if (r.dataType === 10) t.int32Data = data.map(() => 0x3c00);
    else t.floatData = data;
    const full = Buffer.from(onnx.TensorProto.encode(onnx.TensorProto.create(t)).finish());
    const b = Buffer.from(full.subarray(0, Math.max(0, full.length - r.truncate)));
    for (const [pos, x] of r.flips) if (b.length) b[pos % b.length] ^= x;
    const file = join(dir, 'input.pb');
    writeFileSync(file, b);
    const sane = r.count === 64 && r.dims.reduce((a, d) => a * d, 1) === 64 && r.dataType !== 99;
    // A short truncation always breaks the framing; a flipped byte can also repair an insane
    // tensor (a cleared continuation bit merges two packed varints: 65 values become 64).
    const reject = r.truncate >= 1 && r.truncate <= 6 ? true : r.truncate > 0 || r.flips.length > 0 ? undefined : !sane;
    return proveCase(fixtures, dir, file, reject, JSON.stringify({ ...r, bytes: b.length }).slice(0, 200));
  },
};

type CalRecipe = { wrapper: 'object' | 'array' | 'empty' | 'not-list' | 'deep'; inner: InputRecipe };

/** Calibration files through `quantize`. */
export const calibrationFiles: FuzzGenerator<Fixtures, CalRecipe> = {
  name: 'calibration JSON',
  weight: 1,
  arbitrary: () =>
    fc.record({ wrapper: fc.constantFrom('object', 'array', 'empty', 'not-list', 'deep'), inner: inputRecipe }),
  materialize(r, { dir, fixtures }) {
    const { bytes, reject } = inputBytes(r.inner, fixtures.sample);
    const good = JSON.stringify({ input: fixtures.sample });
    const inner = bytes.toString('utf8');
    const text =
      r.wrapper === 'object'
        ? `{"inputs":[${good},${inner}]}`
        : r.wrapper === 'array'
          ? `[${good},${inner}]`
          : r.wrapper === 'empty'
            ? '{"inputs":[]}'
            : r.wrapper === 'not-list'
              ? `{"inputs":${good}}`
              : `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const file = join(dir, 'calibration.json');
    writeFileSync(file, text);
    const out = join(dir, 'q');
    // A valid but extreme calibration value may be refused with a clear error: only refusals are asserted here.
    const mustReject =
      r.wrapper === 'empty' ||
      r.wrapper === 'not-list' ||
      r.wrapper === 'deep' ||
      (reject === true && r.inner.kind !== 'encoding');
    return {
      argv: ['quantize', fixtures.models.mlp, '--calibration', file, '--out', out],
      expect: mustReject ? 'reject' : 'any',
      outputs: [out],
      label: JSON.stringify(r).slice(0, 200),
    };
  },
};
