/**
 * Float semantics of the univariate functions zkinfer proves by exact table (see
 * circuits/table-lookup.ts). The float executor and the table builder both call
 * {@link evalUnary}, so the table is the float function sampled on the quantized input grid.
 */

/**
 * The functions, by ONNX op name. Pow and PRelu take a per-element constant (exponent, slope).
 * Rsqrt is internal (no ONNX op): 1/√(alpha·x + beta), the normalizations' 1/√(Σ(x−μ)²/d + ε).
 * The inverse trigonometric and hyperbolic functions are NaN outside their domain (Asin, Acos
 * and Atanh beyond [−1, 1], Acosh below 1), as in ONNX; Atanh(±1) = ±∞. quantize-table.ts
 * says what a table makes of NaN and ±∞.
 */
export const UNARY_FUNCTIONS = [
  'Sigmoid',
  'Tanh',
  'Exp',
  'Log',
  'Sqrt',
  'Reciprocal',
  'Erf',
  'Gelu',
  'Softplus',
  'Softsign',
  'Elu',
  'Selu',
  'Celu',
  'HardSigmoid',
  'HardSwish',
  'Mish',
  'ThresholdedRelu',
  'Pow',
  'Abs',
  'Sign',
  'Floor',
  'Ceil',
  'Round',
  'PRelu',
  'Rsqrt',
  'Sin',
  'Cos',
  'Tan',
  'Asin',
  'Acos',
  'Atan',
  'Sinh',
  'Cosh',
  'Asinh',
  'Acosh',
  'Atanh',
] as const;

/** One of {@link UNARY_FUNCTIONS}. */
export type UnaryFn = (typeof UNARY_FUNCTIONS)[number];

/** Attributes of a unary function (ONNX names); absent ones take the ONNX defaults. */
export interface UnaryAttrs {
  readonly alpha?: number;
  readonly beta?: number;
  readonly gamma?: number;
  /** Gelu: 'none' (erf) or 'tanh'. */
  readonly approximate?: string;
}

/**
 * erf by the Taylor series near 0 and the Laplace continued fraction of erfc beyond; both
 * are accurate to ~1e-15, far below any quantization step.
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const a = Math.abs(x);
  if (a < 2.5) {
    // erf(x) = 2/√π Σ (−1)^n x^(2n+1) / (n! (2n+1))
    let term = a;
    let sum = a;
    for (let n = 1; n < 80; n++) {
      term *= (-a * a) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return Math.sign(x) * ((2 / Math.sqrt(Math.PI)) * sum);
  }
  if (a > 6) return Math.sign(x);
  // erfc(a) = e^(−a²)/√π · 1/(a + (1/2)/(a + 1/(a + (3/2)/(a + 2/(a + …)))))
  let f = a;
  for (let k = 60; k >= 1; k--) f = a + k / 2 / f;
  const erfc = Math.exp(-a * a) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
}

function softplus(x: number): number {
  // log1p(e^x) overflows for large x, where softplus(x) = x to double precision.
  return x > 30 ? x : Math.log1p(Math.exp(x));
}

/** Round half to even (ONNX Round). */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** The trigonometric and hyperbolic functions (ONNX Sin … Atanh): JavaScript's Math, NaN out of domain. */
const TRIG = {
  Sin: Math.sin,
  Cos: Math.cos,
  Tan: Math.tan,
  Asin: Math.asin,
  Acos: Math.acos,
  Atan: Math.atan,
  Sinh: Math.sinh,
  Cosh: Math.cosh,
  Asinh: Math.asinh,
  Acosh: Math.acosh,
  Atanh: Math.atanh,
} as const;

/** f(x) for one element; `param` is the per-element exponent of Pow or slope of PRelu. */
export function evalUnary(fn: UnaryFn, x: number, attrs: UnaryAttrs = {}, param = 0): number {
  switch (fn) {
    case 'Sigmoid':
      return 1 / (1 + Math.exp(-x));
    case 'Tanh':
      return Math.tanh(x);
    case 'Exp':
      return Math.exp(x);
    case 'Log':
      return Math.log(x);
    case 'Sqrt':
      return Math.sqrt(x);
    case 'Reciprocal':
      return 1 / x;
    case 'Erf':
      return erf(x);
    case 'Gelu':
      return attrs.approximate === 'tanh'
        ? 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)))
        : 0.5 * x * (1 + erf(x / Math.SQRT2));
    case 'Softplus':
      return softplus(x);
    case 'Softsign':
      return x / (1 + Math.abs(x));
    case 'Elu': {
      const a = attrs.alpha ?? 1;
      return x < 0 ? a * Math.expm1(x) : x;
    }
    case 'Selu': {
      const a = attrs.alpha ?? 1.67326319217681884765625;
      const g = attrs.gamma ?? 1.05070102214813232421875;
      return x > 0 ? g * x : g * a * Math.expm1(x);
    }
    case 'Celu': {
      const a = attrs.alpha ?? 1;
      return Math.max(0, x) + Math.min(0, a * Math.expm1(x / a));
    }
    case 'HardSigmoid':
      return Math.max(0, Math.min(1, (attrs.alpha ?? 0.2) * x + (attrs.beta ?? 0.5)));
    case 'HardSwish':
      return x * Math.max(0, Math.min(1, x / 6 + 0.5));
    case 'Mish':
      return x * Math.tanh(softplus(x));
    case 'ThresholdedRelu':
      return x > (attrs.alpha ?? 1) ? x : 0;
    case 'Pow':
      return x ** param;
    case 'Abs':
      return Math.abs(x);
    case 'Sign':
      return Math.sign(x);
    case 'Floor':
      return Math.floor(x);
    case 'Ceil':
      return Math.ceil(x);
    case 'Round':
      return roundHalfEven(x);
    case 'PRelu':
      return x < 0 ? param * x : x;
    case 'Rsqrt':
      return 1 / Math.sqrt((attrs.alpha ?? 1) * x + (attrs.beta ?? 0));
    case 'Sin':
    case 'Cos':
    case 'Tan':
    case 'Asin':
    case 'Acos':
    case 'Atan':
    case 'Sinh':
    case 'Cosh':
    case 'Asinh':
    case 'Acosh':
    case 'Atanh':
      return TRIG[fn](x);
  }
}
