/**
 * Fuzz class for hashed weights (`quantize --weights hashed`), on the fixtures' hashed digits-MLP
 * build: its weights.json used as a mutated `--weights-commitment` pin, its weights.opening.json
 * mutated before `prove`, model.quant.json edited where hashed builds differ (the `weights` mode,
 * `weightBits` / `biasBits`, weight and bias values in and out of their width, fields deleted)
 * before `prove`, `compile` or `weights commit --force`, its bundle mutated (mostly `weights` and
 * `layout.weights`) before `verify`, and W pins re-encoded. A changed proof, pin, opening or
 * model must never pass; a weight outside its width must never be committed.
 */
import fc from 'fast-check';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIELD_PRIME } from '../../circuits/field.js';
import { canonicalJson } from '../../src/core/hash.js';
import { UNVERIFIED_FIELDS } from '../../src/formats/bundle.js';
import { artifactPath, bundlePathNamed, openingPathFor } from '../../src/formats/paths.js';
import type { Fixtures, HashedFixtures } from './fixtures.js';
import type { FuzzCase, FuzzGenerator } from './harness.js';
import { MUTATIONS, mutateAt, paths, type Mutation, type Path } from './mutate-json.js';

/** Edits of model.quant.json that only a hashed build has (op 0 and op 2 are its linear layers). */
const QUANT_EDITS = [
  'mode-delete',
  'mode-fixed',
  'mode-other',
  'weight-bits',
  'bias-bits',
  'bits-delete',
  'weight-out-of-width',
  'bias-out-of-width',
  'weight-in-width',
  'weight-not-integer',
  'weights-delete',
  'weight-short',
] as const;
type QuantEdit = (typeof QUANT_EDITS)[number];

/** Replacement widths: none is the recorded one (8 for weights, 10 or 13 for biases). */
const BITS: readonly unknown[] = [0, 1, 7, 9, 12, 32, 64, 254, 300, -8, 8.5, '8', null, 1e300];
const NOT_INTEGERS: readonly unknown[] = [0.5, '1', null, true, [], 1e300, -1e300];

/** W pins: [argument for the honest bundle's W, whether it names W]. */
function pins(w: string): ReadonlyArray<readonly [string, boolean]> {
  const v = BigInt(w);
  return [
    [w, true],
    [v.toString(), true],
    [w.toUpperCase().replace('0X', '0x'), true],
    [`0x${(v + 1n).toString(16).padStart(64, '0')}`, false],
    [(v + FIELD_PRIME).toString(), false],
    [(v - 1n).toString(), false],
    ['0', false],
    [`${w}0`, false],
    [w.slice(0, -1), false],
    ['', false],
    ['0x', false],
    ['-1', false],
    [FIELD_PRIME.toString(), false],
  ];
}

type JsonRecipe = { kind: 'pin-file' | 'opening-file' | 'bundle'; at: number; mutation: Mutation; focus: boolean };
type QuantRecipe = {
  kind: 'quant';
  edit: QuantEdit;
  op: 0 | 2;
  at: number;
  value: number;
  command: 'prove' | 'compile' | 'commit';
};
type FixedRecipe = { kind: 'fixed'; target: 'bundle' | 'claim'; how: 'pin' | 'field' };
type Recipe = JsonRecipe | QuantRecipe | FixedRecipe | { kind: 'pin'; pick: number };

const recipe: fc.Arbitrary<Recipe> = fc.oneof(
  fc.record({
    kind: fc.constantFrom('pin-file' as const, 'opening-file' as const, 'bundle' as const, 'bundle' as const),
    at: fc.nat(100_000),
    mutation: fc.constantFrom(...MUTATIONS),
    focus: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant('quant' as const),
    edit: fc.constantFrom(...QUANT_EDITS),
    op: fc.constantFrom(0 as const, 2 as const),
    at: fc.nat(100_000),
    value: fc.nat(100),
    command: fc.constantFrom('prove' as const, 'prove' as const, 'compile' as const, 'commit' as const),
  }),
  fc.record({ kind: fc.constant('pin' as const), pick: fc.nat(100) }),
  fc.record({
    kind: fc.constant('fixed' as const),
    target: fc.constantFrom('bundle' as const, 'claim' as const),
    how: fc.constantFrom('pin' as const, 'field' as const),
  }),
);

/**
 * The fixed-weights bundle or claim with hashed weights' W: pinned with `--weights-commitment`
 * (an option that does not apply: exit 2), or given a `weights` field its key has no signal for.
 */
function fixedCase(r: FixedRecipe, dir: string, fx: Fixtures): FuzzCase {
  const w = fx.hashed.commitment;
  const label = `fixed-weights ${r.target} with W as ${r.how === 'pin' ? '--weights-commitment' : 'a weights field'}`;
  const source = r.target === 'bundle' ? fx.bundlePath : fx.claim.path;
  let file = source;
  if (r.how === 'field') {
    const doc = JSON.parse(readFileSync(source, 'utf8')) as Record<string, unknown>;
    doc.weights =
      r.target === 'bundle' ? { visibility: 'hashed', commitment: BigInt(w).toString() } : { commitment: w };
    file = r.target === 'bundle' ? bundlePathNamed(dir, 'x') : join(dir, 'claim.json');
    writeFileSync(file, JSON.stringify(doc));
  }
  const pin = r.how === 'pin' ? ['--weights-commitment', w] : [];
  const argv =
    r.target === 'bundle'
      ? [
          'verify',
          file,
          '--vkey',
          artifactPath(fx.buildDir, 'vkey'),
          '--opening',
          fx.openingPath,
          '--input',
          fx.samplePath,
        ]
      : ['verify', file, '--vkey', fx.claim.vkeyPath, '--dataset-commitment', fx.claim.datasetCommitment];
  return { argv: [...argv, ...pin], expect: 'reject', label };
}

/** `verify` of `bundle` (with its input opening) against the hashed key, W pinned by `pin`. */
function verifyArgv(h: HashedFixtures, bundle: string, opening: string, pin: string, samplePath: string): string[] {
  return [
    'verify',
    bundle,
    '--vkey',
    h.vkeyPath,
    '--opening',
    opening,
    '--input',
    samplePath,
    '--weights-commitment',
    pin,
  ];
}

type LinearOp = { weight?: unknown[]; bias?: unknown[]; weightBits?: unknown; biasBits?: unknown };

/** Applies a {@link QuantEdit} to a parsed hashed model.quant.json. */
function editQuant(q: { weights?: unknown; ops: LinearOp[] }, r: QuantRecipe): void {
  const op = q.ops[r.op]!;
  const width = (bits: unknown) => 2 ** (Number(bits) - 1);
  const at = (a: unknown[] | undefined) => r.at % (a?.length || 1);
  switch (r.edit) {
    case 'mode-delete':
      delete q.weights;
      break;
    case 'mode-fixed':
      q.weights = 'fixed';
      break;
    case 'mode-other':
      q.weights = ['HASHED', 'private', null, 1, ''][r.value % 5];
      break;
    case 'weight-bits':
      op.weightBits = BITS[r.value % BITS.length];
      break;
    case 'bias-bits':
      op.biasBits = BITS[r.value % BITS.length];
      break;
    case 'bits-delete':
      delete op[r.value % 2 ? 'weightBits' : 'biasBits'];
      break;
    case 'weight-out-of-width':
    case 'bias-out-of-width': {
      const w = r.edit === 'weight-out-of-width';
      const half = width(w ? op.weightBits : op.biasBits);
      const a = (w ? op.weight : op.bias)!;
      a[at(a)] = [half, -half - 1, half * 2, -(2 ** 40)][r.value % 4];
      break;
    }
    case 'weight-in-width': {
      const a = op.weight! as number[];
      const i = at(a);
      a[i] = a[i]! === width(op.weightBits) - 1 ? a[i]! - 1 : a[i]! + 1;
      break;
    }
    case 'weight-not-integer':
      op.weight![at(op.weight)] = NOT_INTEGERS[r.value % NOT_INTEGERS.length];
      break;
    case 'weights-delete':
      delete op[r.value % 2 ? 'weight' : 'bias'];
      break;
    case 'weight-short':
      (r.value % 2 ? op.weight : op.bias)!.pop();
      break;
  }
}

/** model.quant.json of a copied hashed build edited, then `prove`, `compile` or `weights commit --force`. */
function quantCase(r: QuantRecipe, dir: string, fx: Fixtures): FuzzCase {
  const build = join(dir, 'build');
  cpSync(fx.hashed.buildDir, build, { recursive: true });
  const file = artifactPath(build, 'quantized');
  const before = JSON.parse(readFileSync(file, 'utf8')) as { weights?: unknown; ops: LinearOp[] };
  const q = JSON.parse(JSON.stringify(before)) as typeof before;
  editQuant(q, r);
  writeFileSync(file, JSON.stringify(q, null, 2) + '\n');
  const changed = canonicalJson(q) !== canonicalJson(before);
  const label = `hashed model.quant.json ${r.edit} op ${r.op} #${r.at} v${r.value} → ${r.command}`;
  // --force: the build holds a key; compile rewrites the circuit from the edited model (a valid edit compiles).
  if (r.command === 'compile') return { argv: ['compile', build, '--force', '--json'], expect: 'any', label };
  if (r.command === 'commit') {
    // A value outside its width (or not an integer) must never be committed.
    const refuse = /out-of-width|not-integer/.test(r.edit);
    return { argv: ['weights', 'commit', build, '--force', '--json'], expect: refuse ? 'reject' : 'any', label };
  }
  const out = join(dir, 'out');
  return {
    argv: ['prove', build, '--input', fx.samplePath, '--out', bundlePathNamed(out, 'b')],
    // Any change to the weights makes the opening's W wrong; any other change breaks the key's hash.
    expect: changed ? 'reject' : 'any',
    outputs: [out],
    label,
  };
}

/** Whether a bundle change at `p` may be accepted (the prover's unverified word). */
function unverified(p: Path): boolean {
  const dotted = p.filter((k) => typeof k === 'string').join('.');
  return UNVERIFIED_FIELDS.some((f) => dotted === f || dotted.startsWith(`${f}.`));
}

/** One node of a JSON file mutated: weights.json as the pin, the opening before `prove`, or the bundle. */
function jsonCase(r: JsonRecipe, dir: string, fx: Fixtures): FuzzCase {
  const h = fx.hashed;
  const source =
    r.kind === 'pin-file' ? h.weightsPath : r.kind === 'opening-file' ? h.weightsOpeningPath : h.bundlePath;
  const doc = JSON.parse(readFileSync(source, 'utf8')) as unknown;
  const all = paths(doc);
  // Focus: the fields hashed weights add (the bundle's W, its layout entry and its public signal).
  const focused = all.filter(
    (p) => p[0] === 'weights' || (p[0] === 'layout' && p[1] === 'weights') || (p[0] === 'publicSignals' && p[1] === 11),
  );
  const pool = r.focus && focused.length > 0 ? focused : all;
  const p = pool[r.at % pool.length]!;
  const changed = mutateAt(doc, p, r.mutation);
  const label = `hashed ${r.kind} ${p.join('.')} ${r.mutation}`;
  if (r.kind === 'opening-file') {
    const build = join(dir, 'build');
    cpSync(h.buildDir, build, { recursive: true });
    writeFileSync(artifactPath(build, 'weightsOpening'), JSON.stringify(doc));
    const out = join(dir, 'out');
    return {
      argv: ['prove', build, '--input', fx.samplePath, '--out', bundlePathNamed(out, 'b')],
      expect: changed ? 'reject' : 'any',
      outputs: [out],
      label,
    };
  }
  if (r.kind === 'pin-file') {
    const pin = join(dir, 'weights.json');
    writeFileSync(pin, JSON.stringify(doc));
    return {
      argv: verifyArgv(h, h.bundlePath, h.openingPath, pin, fx.samplePath),
      expect: changed ? 'reject' : 'any',
      label,
    };
  }
  const bundle = bundlePathNamed(dir, 'x');
  writeFileSync(bundle, JSON.stringify(doc));
  const opening = openingPathFor(bundle);
  cpSync(h.openingPath, opening);
  return {
    argv: verifyArgv(h, bundle, opening, h.commitment, fx.samplePath),
    expect: !changed || unverified(p) ? 'any' : 'reject',
    label,
  };
}

/** Hashed-weights artifacts (pins, openings, model.quant.json, bundles) mutated. */
export const hashedWeights: FuzzGenerator<Fixtures, Recipe> = {
  name: 'hashed weights',
  weight: 3,
  arbitrary: () => recipe,
  materialize(r, { dir, fixtures }) {
    if (r.kind === 'quant') return quantCase(r, dir, fixtures);
    if (r.kind === 'fixed') return fixedCase(r, dir, fixtures);
    if (r.kind === 'pin') {
      const list = pins(fixtures.hashed.commitment);
      const [pin, names] = list[r.pick % list.length]!;
      const h = fixtures.hashed;
      return {
        argv: verifyArgv(h, h.bundlePath, h.openingPath, pin, fixtures.samplePath),
        expect: names ? 'accept' : 'reject',
        label: `hashed W pin ${JSON.stringify(pin)}`,
      };
    }
    return jsonCase(r, dir, fixtures);
  },
};
