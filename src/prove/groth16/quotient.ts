/**
 * The scalars of Groth16's H term. With A(X), B(X), C(X) the witness's QAP polynomials over the
 * domain ⟨ω⟩ of size n, A·B − C vanishes on the domain, so it is h(X)·Z(X) with Z = Xⁿ − 1.
 * snarkjs's H points are set up for the odd coset ω₂ₙ·⟨ω⟩ (ω₂ₙ a 2n-th root of unity), where Z
 * is the constant −2, which the points already absorb together with 1/δ: the prover only needs
 * A·B − C evaluated on that coset. So: iFFT each of A, B, C to coefficients, multiply
 * coefficient i by ω₂ₙⁱ, FFT back, and take A·B − C pointwise, out of Montgomery form, as the
 * MSM reads scalars.
 *
 * A and B on the domain come from section 4's coefficients: row i of A is Σ coef·w over that
 * row's entries, evaluated in wasm by `qap_buildABC` (which also forms C = A·B row by row: the
 * C matrix is not stored in the key because on a satisfied witness A·B = C on every row).
 */
import type { FfCurve, Task } from './curve-api.js';
import type { ProvingKey } from './proving-key.js';

/** Evaluations of A, B and C = A·B on the domain, Montgomery form. */
async function evaluateAbc(curve: FfCurve, pk: ProvingKey, witness: Uint8Array): Promise<Uint8Array[]> {
  const n8 = curve.Fr.n8;
  const len = pk.domainSize * n8;
  // One task: the coefficient list is in r1cs order, not sorted by row, so it cannot be cut by row.
  const task: Task = [
    { cmd: 'ALLOCSET', var: 0, buff: pk.coefs },
    { cmd: 'ALLOCSET', var: 1, buff: witness },
    { cmd: 'ALLOC', var: 2, len },
    { cmd: 'ALLOC', var: 3, len },
    { cmd: 'ALLOC', var: 4, len },
    {
      cmd: 'CALL',
      fnName: 'qap_buildABC',
      params: [
        { var: 0 },
        { val: pk.nCoefs },
        { var: 1 },
        { var: 2 },
        { var: 3 },
        { var: 4 },
        { val: 0 },
        { val: pk.domainSize },
        { val: 0 },
        { val: pk.nVars },
      ],
    },
    { cmd: 'GET', out: 0, var: 2, len },
    { cmd: 'GET', out: 1, var: 3, len },
    { cmd: 'GET', out: 2, var: 4, len },
  ];
  return curve.tm.queueAction(task);
}

/**
 * A polynomial's evaluations on the domain → its evaluations on the odd coset, in one wasm task
 * (inverse FFT, multiply coefficient i by incⁱ, FFT): one copy in and out, where ffjavascript's
 * Fr.ifft/fft orchestrate many small tasks from JavaScript and cost several times more.
 */
async function toOddCoset(curve: FfCurve, evals: Uint8Array, pk: ProvingKey): Promise<Uint8Array> {
  const { Fr } = curve;
  // The 2n-th root of unity; for the largest domain the field has none, and snarkjs's keys use the shift instead.
  const inc = pk.power === Fr.s ? Fr.shift : Fr.w[pk.power + 1]!;
  const n = pk.domainSize;
  const [out] = await curve.tm.queueAction([
    { cmd: 'ALLOCSET', var: 0, buff: evals },
    { cmd: 'ALLOCSET', var: 1, buff: Fr.one },
    { cmd: 'ALLOCSET', var: 2, buff: inc },
    { cmd: 'CALL', fnName: 'frm_ifft', params: [{ var: 0 }, { val: n }] },
    { cmd: 'CALL', fnName: 'frm_batchApplyKey', params: [{ var: 0 }, { val: n }, { var: 1 }, { var: 2 }, { var: 0 }] },
    { cmd: 'CALL', fnName: 'frm_fft', params: [{ var: 0 }, { val: n }] },
    { cmd: 'GET', out: 0, var: 0, len: evals.length },
  ]);
  return out!;
}

/** (A·B − C) on the odd coset, standard form, chunked across the curve's threads. */
async function joinAbc(curve: FfCurve, a: Uint8Array, b: Uint8Array, c: Uint8Array): Promise<Uint8Array> {
  const n8 = curve.Fr.n8;
  const n = a.length / n8;
  const chunks = Math.max(1, Math.min(curve.tm.concurrency, n >> 12));
  const per = Math.ceil(n / chunks);
  const jobs: Promise<Uint8Array[]>[] = [];
  for (let start = 0; start < n; start += per) {
    const m = Math.min(per, n - start);
    const part = (x: Uint8Array) => x.subarray(start * n8, (start + m) * n8);
    jobs.push(
      curve.tm.queueAction([
        { cmd: 'ALLOCSET', var: 0, buff: part(a) },
        { cmd: 'ALLOCSET', var: 1, buff: part(b) },
        { cmd: 'ALLOCSET', var: 2, buff: part(c) },
        { cmd: 'ALLOC', var: 3, len: m * n8 },
        { cmd: 'CALL', fnName: 'qap_joinABC', params: [{ var: 0 }, { var: 1 }, { var: 2 }, { val: m }, { var: 3 }] },
        { cmd: 'CALL', fnName: 'frm_batchFromMontgomery', params: [{ var: 3 }, { val: m }, { var: 3 }] },
        { cmd: 'GET', out: 0, var: 3, len: m * n8 },
      ]),
    );
  }
  const out = new Uint8Array(a.length);
  let o = 0;
  for (const [r] of await Promise.all(jobs)) {
    out.set(r!, o);
    o += r!.length;
  }
  return out;
}

/** Milliseconds of each step of {@link quotientScalars}. */
export interface QuotientTimings {
  readonly qapMs: number;
  readonly fftMs: number;
}

/** The H-term scalars of a witness (32-byte LE standard-form field elements, one per domain point). */
export async function quotientScalars(
  curve: FfCurve,
  pk: ProvingKey,
  witness: Uint8Array,
): Promise<{ scalars: Uint8Array; timings: QuotientTimings }> {
  const t0 = performance.now();
  const [a, b, c] = await evaluateAbc(curve, pk, witness);
  const t1 = performance.now();
  const [ao, bo, co] = await Promise.all([a!, b!, c!].map((e) => toOddCoset(curve, e, pk)));
  const scalars = await joinAbc(curve, ao!, bo!, co!);
  return { scalars, timings: { qapMs: t1 - t0, fftMs: performance.now() - t1 } };
}
