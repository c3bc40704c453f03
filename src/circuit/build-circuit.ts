/**
 * Lowers a quantized model to R1CS with the gadget library, computing the witness on the way.
 * The same function compiles (with a placeholder input) and generates witnesses (with the
 * real input, optionally in witness-only mode): gadget structure never depends on values, so
 * both runs produce the same wires in the same order.
 */
import { BuiltCircuit, R1csBuilder, Signal } from '../../circuits/builder.js';
import { toSigned } from '../../circuits/field.js';
import { linearLayer } from '../../circuits/linear.js';
import { requantize } from '../../circuits/requantize.js';
import { linearTerms } from '../quantize/linear-spec.js';
import type { QuantizedModel } from '../quantize/quantized-model.js';

/** How inputs and outputs appear to the verifier. */
export type Visibility = 'public';

/** Where each part sits in the public-signal vector. */
export interface PublicLayout {
  readonly output: { readonly visibility: Visibility; readonly offset: number; readonly count: number };
  readonly input: { readonly visibility: Visibility; readonly offset: number; readonly count: number };
  readonly nPublic: number;
}

/** Options for {@link buildCircuit}. */
export interface BuildOptions {
  readonly inputVisibility?: Visibility;
  readonly outputVisibility?: Visibility;
  readonly witnessOnly?: boolean;
}

/** A built circuit plus what the proof will reveal. */
export interface CircuitBuild {
  readonly circuit: BuiltCircuit;
  readonly layout: PublicLayout;
  /** The output integers (signed). */
  readonly output: bigint[];
  /** Public signals as decimal strings, in snarkjs order. */
  readonly publicSignals: string[];
}

/** Builds the circuit for `model` on the quantized input `xq`. */
export function buildCircuit(model: QuantizedModel, xq: readonly number[], options: BuildOptions = {}): CircuitBuild {
  const b = new R1csBuilder({ witnessOnly: options.witnessOnly ?? false });
  const inputVisibility = options.inputVisibility ?? 'public';
  const outputVisibility = options.outputVisibility ?? 'public';
  const tensors = new Map<string, Signal[]>();
  tensors.set(model.input.name, xq.map((v) => b.input(BigInt(v), 'public')));
  for (const op of model.ops) {
    const x = tensors.get(op.input)!;
    switch (op.kind) {
      case 'linear':
        tensors.set(op.output, linearLayer(b, x, linearTerms(op.spec), op.weight, op.bias));
        break;
      case 'requantize': {
        const lowerOffset = BigInt(op.lowerOffset);
        tensors.set(op.output, x.map((s, i) => requantize(b, s, { shift: op.shift, outBits: op.outBits, lowerOffset, accBits: op.accBits[i]! })));
        break;
      }
      case 'reshape':
        tensors.set(op.output, x);
        break;
    }
  }
  const y = tensors.get(model.output.name)!;
  for (const s of y) b.exposeOutput(s);
  const circuit = b.finalize();
  const nOut = circuit.nPubOut;
  const layout: PublicLayout = {
    output: { visibility: outputVisibility, offset: 0, count: y.length },
    input: { visibility: inputVisibility, offset: nOut, count: xq.length },
    nPublic: nOut + circuit.nPubIn,
  };
  const publicSignals = circuit.witness.slice(1, 1 + layout.nPublic).map((v) => v.toString());
  return { circuit, layout, output: circuit.witness.slice(1, 1 + y.length).map(toSigned), publicSignals };
}
