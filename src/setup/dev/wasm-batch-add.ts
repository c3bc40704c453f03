/**
 * A plugin for ffjavascript's `buildBn128(singleThread, plugins)` that adds one wasm function per
 * group, `g1m_fbAddBatch` / `g2m_fbAddBatch`: add a table point to each of n affine
 * accumulators, in affine coordinates, sharing a single field inversion across the batch.
 *
 * Why: an affine addition is λ = (y2 − y1)/(x2 − x1), x3 = λ² − x1 − x2, y3 = λ(x1 − x3) − y1.
 * With Montgomery's trick the inversion costs 3 multiplications per element, so one addition is
 * ~6 multiplications against ~11 for the mixed Jacobian addition, and the results need no final
 * conversion to affine. Written in wasm because a JS loop would pay a call per field operation.
 *
 * Contract of `<g>_fbAddBatch(pAcc, pPtr, n, pAux)`:
 * - pAcc: n affine points (x, y; (0, 0) is infinity), updated in place;
 * - pPtr: n u32 addresses of the affine point to add, 0 for "add nothing"; entries whose
 *   accumulator was infinity are overwritten with 0 (the point is copied instead);
 * - pAux: scratch for n + 1 base-field elements.
 * The caller guarantees an accumulator never equals ± the point added to it (x1 ≠ x2): true for
 * fixed-base windows, where the accumulator's scalar is below 2^(w·k) and the added one is a
 * non-zero multiple of 2^(w·k), both summing to less than the group order.
 */

/** The subset of wasmbuilder's code builder this plugin emits with; each call returns wasm bytes. */
type Code = number[];
interface CodeBuilder {
  i32_const(v: number): Code;
  i32_add(a: Code, b: Code): Code;
  i32_sub(a: Code, b: Code): Code;
  i32_eq(a: Code, b: Code): Code;
  i32_eqz(a: Code): Code;
  i32_load(addr: Code): Code;
  i32_store(addr: Code, value: Code): Code;
  getLocal(name: string): Code;
  setLocal(name: string, value: Code): Code;
  call(fn: string, ...args: Code[]): Code;
  if(cond: Code, then: Code, otherwise?: Code): Code;
  block(code: Code): Code;
  loop(...code: Code[]): Code;
  br_if(depth: number, cond: Code): Code;
  br(depth: number): Code;
}
interface FunctionBuilder {
  addParam(name: string, type: 'i32'): void;
  addLocal(name: string, type: 'i32'): void;
  getCodeBuilder(): CodeBuilder;
  addCode(...code: Code[]): void;
}
/** The subset of wasmbuilder's ModuleBuilder the plugin needs. */
export interface WasmModuleBuilder {
  addFunction(name: string): FunctionBuilder;
  exportFunction(name: string): void;
  alloc(bytes: number): number;
}

/** Name of the batch-add export for a curve prefix. */
export function batchAddName(prefix: 'g1m' | 'g2m'): string {
  return `${prefix}_fbAddBatch`;
}

function buildBatchAdd(module: WasmModuleBuilder, prefix: 'g1m' | 'g2m', field: 'f1m' | 'f2m', n8: number): void {
  const name = batchAddName(prefix);
  const f = module.addFunction(name);
  // Parameters (the contract above), then the loop's locals: i and the three cursors, and the table point.
  for (const p of ['pAcc', 'pPtr', 'n', 'pAux']) f.addParam(p, 'i32');
  for (const l of ['i', 'itAcc', 'itPtr', 'itAux', 'pT']) f.addLocal(l, 'i32');
  const c = f.getCodeBuilder();
  const T1 = c.i32_const(module.alloc(n8));
  const X3 = c.i32_const(module.alloc(n8));
  const LAMBDA = c.i32_const(module.alloc(n8));
  const INV = c.i32_const(module.alloc(n8));
  const get = (l: string) => c.getLocal(l);
  const plus = (l: string, k: number) => c.i32_add(c.getLocal(l), c.i32_const(k));
  const minus = (l: string, k: number) => c.i32_sub(c.getLocal(l), c.i32_const(k));
  const F = (op: string, ...args: Code[]) => c.call(`${field}_${op}`, ...args);
  const nextAux = plus('itAux', n8);

  f.addCode(
    // Pass 1: aux[i+1] = aux[i] · (x2 − x1) over the active entries (prefix products).
    F('one', get('pAux')),
    c.setLocal('itAcc', get('pAcc')),
    c.setLocal('itPtr', get('pPtr')),
    c.setLocal('itAux', get('pAux')),
    c.setLocal('i', c.i32_const(0)),
    c.block(
      c.loop(
        c.br_if(1, c.i32_eq(get('i'), get('n'))),
        c.setLocal('pT', c.i32_load(get('itPtr'))),
        c.if(
          c.i32_eqz(get('pT')),
          F('copy', get('itAux'), nextAux),
          c.if(
            c.call(`${prefix}_isZeroAffine`, get('itAcc')),
            [
              ...c.call(`${prefix}_copyAffine`, get('pT'), get('itAcc')),
              ...c.i32_store(get('itPtr'), c.i32_const(0)),
              ...F('copy', get('itAux'), nextAux),
            ],
            [...F('sub', get('pT'), get('itAcc'), T1), ...F('mul', get('itAux'), T1, nextAux)],
          ),
        ),
        c.setLocal('itAcc', plus('itAcc', 2 * n8)),
        c.setLocal('itPtr', plus('itPtr', 4)),
        c.setLocal('itAux', nextAux),
        c.setLocal('i', plus('i', 1)),
        c.br(0),
      ),
    ),
    // itAux now points at aux[n]; INV = 1 / aux[n].
    F('inverse', get('itAux'), INV),
    // Pass 2, backwards: with INV = 1/aux[i+1], 1/(x2 − x1) = INV · aux[i], then INV ← 1/aux[i].
    c.block(
      c.loop(
        c.br_if(1, c.i32_eqz(get('i'))),
        c.setLocal('i', minus('i', 1)),
        c.setLocal('itAcc', minus('itAcc', 2 * n8)),
        c.setLocal('itPtr', minus('itPtr', 4)),
        c.setLocal('itAux', minus('itAux', n8)),
        c.setLocal('pT', c.i32_load(get('itPtr'))),
        c.if(get('pT'), [
          ...F('mul', INV, get('itAux'), T1),
          ...F('sub', get('pT'), get('itAcc'), X3),
          ...F('mul', INV, X3, INV),
          ...F('sub', plus('pT', n8), plus('itAcc', n8), LAMBDA),
          ...F('mul', LAMBDA, T1, LAMBDA),
          ...F('square', LAMBDA, X3),
          ...F('sub', X3, get('itAcc'), X3),
          ...F('sub', X3, get('pT'), X3),
          ...F('sub', get('itAcc'), X3, T1),
          ...F('mul', LAMBDA, T1, T1),
          ...F('sub', T1, plus('itAcc', n8), plus('itAcc', n8)),
          ...F('copy', X3, get('itAcc')),
        ]),
        c.br(0),
      ),
    ),
  );
  module.exportFunction(name);
}

/** Pass as the `plugins` argument of ffjavascript's `buildBn128`. */
export function batchAddPlugin(module: WasmModuleBuilder): void {
  buildBatchAdd(module, 'g1m', 'f1m', 32);
  buildBatchAdd(module, 'g2m', 'f2m', 64);
}
