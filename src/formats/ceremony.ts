/**
 * The ceremony transcript's types: which circuit, which powers of tau and which ordered phase-2
 * contributions made a key (src/setup/ceremony/ceremony-transcript.ts reads and writes it), and
 * the part of it vkey.json carries (`vkey.zkinfer.ceremony`).
 */
import type { PtauProvenance } from './setup.js';

/** A contribution's public key, uncompressed big-endian points as hex. */
export interface ContributionKey {
  readonly deltaAfter: string;
  readonly g1S: string;
  readonly g1Sx: string;
  readonly g2Spx: string;
  /** blake2b-512 of the circuit hash and every earlier public key: what this key signs. */
  readonly transcript: string;
}

/** One phase-2 contribution. */
export interface ContributionRecord {
  /** 1-based position in the chain. */
  readonly index: number;
  readonly name: string;
  readonly kind: 'contribution' | 'beacon';
  /** The contribution hash snarkjs shows the contributor (blake2b-512 of the public key). */
  readonly hash: string;
  readonly key: ContributionKey;
  /**
   * ultragroth keys only: the proof of knowledge of the δ₁ (round-1) update, in the same form
   * (`deltaAfter` is δ₁ after this contribution). `hash` then covers both parts.
   */
  readonly delta1Key?: ContributionKey;
  readonly beacon?: { readonly hash: string; readonly iterationsExp: number };
}

/** Format identifier of transcript files. */
export const TRANSCRIPT_FORMAT = 'zkinfer-ceremony-transcript';

/** A contribution as the transcript lists it: the zkey's record plus the file it produced. */
export interface TranscriptContribution extends ContributionRecord {
  /** The zkey this contribution wrote (a name relative to the transcript), when known. */
  readonly file?: string;
  /** blake2b-512 of that file. */
  readonly fileBlake2b?: string;
}

/** The transcript file. */
export interface CeremonyTranscript {
  readonly format: typeof TRANSCRIPT_FORMAT;
  readonly formatVersion: 1;
  readonly circuit: {
    readonly modelId: string;
    readonly r1csSha256: string;
    /** snarkjs's circuit hash of the initial key: binds the r1cs and the ptau together. */
    readonly csHash: string;
    readonly nConstraints: number;
    readonly nPublic: number;
    readonly power: number;
  };
  readonly ptau: PtauProvenance;
  readonly init: { readonly file: string; readonly blake2b: string };
  readonly contributions: TranscriptContribution[];
  /**
   * Contribution hashes of the ceremonies `ceremony init --force` started over from (optional:
   * absent when nothing was discarded, and in transcripts written before it existed). init is
   * deterministic, so the new initial key is the old one: a kept copy of an old chain's key
   * would otherwise extend the new transcript; contribute, beacon, verify and finalize refuse a
   * key holding one of these.
   */
  readonly discarded?: readonly string[];
  /** Set by `ceremony verify`/`finalize`: the final key and when it was checked. */
  readonly final?: {
    readonly file: string;
    readonly blake2b: string;
    readonly checkedAt: string;
    readonly zkinfer: string;
    readonly snarkjs: string;
  };
}

/** What vkey.json carries about its ceremony (in `vkey.zkinfer.ceremony`). */
export interface CeremonyMeta {
  /** sha256 of the canonical JSON of `transcript`. */
  readonly transcriptSha256: string;
  readonly transcript: CeremonyTranscript;
}
