/**
 * Option parsers and output helpers shared by the command files. They live apart from main.ts
 * so that command files never import the entry point (no import cycle).
 */
import { Option } from 'commander';
import { quote, UserError } from '../core/errors.js';
import { WEIGHTS_MODES } from '../formats/hashed-weights.js';
import { PROOF_SYSTEMS } from '../formats/circuit.js';
import { DEFAULT_LIMB_BITS } from '../../circuits/lookup.js';

/** Parses an integer flag (at least `min` when given). */
export function intOption(name: string, min?: number) {
  return (v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isSafeInteger(n)) throw new UserError(`${name} must be an integer, got ${quote(v)}`);
    if (min !== undefined && n < min) throw new UserError(`${name} must be at least ${min}, got ${n}`);
    return n;
  };
}

/** A --input-visibility / --output-visibility option. */
export function visibilityOption(which: 'input' | 'output'): Option {
  const choices = which === 'input' ? ['public', 'hashed'] : ['public', 'packed', 'hashed'];
  return new Option(
    `--${which}-visibility <mode>`,
    `${which} as public values${which === 'output' ? ', values packed into few signals' : ''} or one Poseidon commitment (default: ${which === 'input' ? 'hashed' : 'public'})`,
  ).choices(choices);
}

/** The --weights option of quantize, run and compile (undefined when not given: the callers' defaults differ). */
export function weightsOption(description: string): Option {
  return new Option('--weights <mode>', description).choices(WEIGHTS_MODES);
}

/** The --proof-system option of compile, run and demo. */
export function proofSystemOption(): Option {
  return new Option(
    '--proof-system <name>',
    'groth16 (standard, verifiable with snarkjs) or ultragroth (two-round Groth16, range checks by lookups: fewer constraints) (default: groth16)',
  ).choices(PROOF_SYSTEMS);
}

/** The --limb-bits option of compile, run and demo (ultragroth only; an error with groth16). */
export function limbBitsOption(): Option {
  return new Option(
    '--limb-bits <k>',
    `ultragroth only: bits per looked-up limb of a range check (default: ${DEFAULT_LIMB_BITS})`,
  ).argParser(intOption('--limb-bits'));
}

// Every command's --json result goes through the one output module (the envelope, warnings, errors).
export { printJson } from './output.js';
