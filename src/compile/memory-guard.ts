/**
 * Turns "the circuit does not fit in this process's heap" into a one-line error (exit 2) with an
 * estimate, instead of V8's FatalProcessOutOfMemory abort (exit 134 and a native stack) that a
 * too-large model used to end in. The builder calls {@link heapGuard}'s callback every few
 * hundred thousand terms or wires; when the V8 heap passes a fraction of its limit the build is
 * abandoned, a witness-only pass (no linear combinations, a small fraction of the memory) counts
 * the whole circuit, and {@link circuitTooLarge} scales the memory used so far to that size.
 */
import { getHeapStatistics } from 'node:v8';
import type { BuilderSize } from '../../circuits/builder.js';
import { UserError } from '../core/errors.js';

/** Heap use, as a fraction of V8's limit, at which a build is abandoned. */
export const HEAP_FRACTION = 0.8;

/** Thrown by the guard's callback out of the builder; caught by compile. */
export class HeapLimitReached extends Error {
  constructor(
    readonly size: BuilderSize,
    readonly used: number,
    readonly limit: number,
  ) {
    super(`heap limit reached at ${size.constraints} constraints`);
    this.name = 'HeapLimitReached';
  }
}

/**
 * V8's heap_size_limit counts the young generation's reserve (3 semispaces of 16 MiB on 64-bit
 * Node) on top of --max-old-space-size; objects that survive live in the old space, so that is
 * the budget a build has.
 */
const YOUNG_RESERVE = 48 * 2 ** 20;

/** Bytes on the V8 heap now, and the old-space limit (what --max-old-space-size sets). */
export function heapUse(): { used: number; limit: number } {
  const s = getHeapStatistics();
  return { used: s.used_heap_size, limit: Math.max(s.heap_size_limit - YOUNG_RESERVE, s.heap_size_limit / 2) };
}

/** A builder `onGrowth` callback that throws {@link HeapLimitReached} past `fraction` of the heap limit. */
export function heapGuard(fraction = HEAP_FRACTION): (size: BuilderSize) => void {
  return (size) => {
    const { used, limit } = heapUse();
    if (used > fraction * limit) throw new HeapLimitReached(size, used, limit);
  };
}

const size = (bytes: number): string =>
  bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(1)} GB` : `${Math.ceil(bytes / 2 ** 20)} MB`;

/**
 * The error for a build abandoned at `e`, `baseline` bytes of heap in use before it started,
 * for a circuit of `total` constraints and wires (from a witness-only pass; undefined when that
 * pass did not fit either). Progress is the larger of the constraint and wire fractions, since
 * linear layers allocate terms before their constraints.
 */
export function circuitTooLarge(
  e: HeapLimitReached,
  baseline: number,
  total: { readonly constraints: number; readonly wires: number } | undefined,
): UserError {
  const advice = 'raise it with NODE_OPTIONS=--max-old-space-size=<MB>, or quantize with fewer bits';
  if (!total)
    return new UserError(
      `circuit too large: needs more than ${size(e.limit)}; this process may use ${size(e.limit)} (${advice})`,
    );
  const done = Math.max(e.size.constraints / total.constraints, e.size.wires / total.wires, 1e-6);
  // Scaled to the whole circuit, then to the limit at which the guard would not have stopped it.
  const needs = (baseline + (e.used - baseline) / Math.min(1, done)) / HEAP_FRACTION;
  return new UserError(
    `circuit too large: needs ~${size(Math.max(needs, e.limit))} for ` +
      `${total.constraints.toLocaleString('en-US')} constraints; this process may use ${size(e.limit)} (${advice})`,
  );
}
