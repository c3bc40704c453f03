/**
 * The two moduli of the BN254 (bn128) curve, defined once: circuits compute in the scalar field
 * r (public signals, blindings), points have coordinates in the base field p (keys, proofs).
 */

/** The BN254 scalar field modulus r: every circuit value and public signal lies in [0, r). */
export const FIELD_PRIME = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

/** The BN254 base field modulus p: every curve-point coordinate lies in [0, p). */
export const BASE_FIELD_PRIME = 21888242871839275222246405745257275088696311157297823662689037894645226208583n;
