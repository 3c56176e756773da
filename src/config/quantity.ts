// Kubernetes resource quantities ("500m", "1.5Gi", "2e3") parsed to plain numbers: cores for cpu, bytes for memory.
//
// Mirrors apimachinery resource.ParseQuantity's grammar:
//   <signedNumber><suffix>, suffix = binarySI (Ki..Ei) | decimalExponent (e/E<int>) | decimalSI (n u m "" k M G T P E)
// client-node's quantityToScalar is not usable here: it throws on "1.5Gi" and mixes number and
// bigint results. A float is precise enough for comparing requests with limits and for cgroups.
import { quoteBounded } from '../bounded.js';

const BINARY_SI: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
/** Decimal suffixes as powers of ten. */
const DECIMAL_SI: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

/** Scales by 10^exp, dividing for negative powers so "1100m" is exactly 1.1 (1100 * 0.001 is not). */
function scale10(num: number, exp: number): number {
  return exp >= 0 ? num * 10 ** exp : num / 10 ** -exp;
}

// Binary suffixes are tried before the exponent so "1Ei" is binary, and the exponent before the
// decimal suffixes so "1E3" is 1000 while "1E" is one exa.
const QUANTITY_RE = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:(Ki|Mi|Gi|Ti|Pi|Ei)|[eE]([+-]?\d+)|(n|u|m|k|M|G|T|P|E)?)$/;

/** The message the API server gives for a malformed quantity (resource.ErrFormatWrong's regexp). */
export const QUANTITY_FORMAT_MESSAGE = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

export class QuantityError extends Error {
  constructor(readonly input: unknown) {
    super(`invalid quantity ${quoteBounded(input)}: ${QUANTITY_FORMAT_MESSAGE}`);
    this.name = 'QuantityError';
  }
}

/**
 * Parses a quantity (a string, or a bare number as YAML gives for `cpu: 2`) to its value in base
 * units: "250m" → 0.25, "1Gi" → 1073741824, "1e3" → 1000. Throws QuantityError when malformed.
 */
export function parseQuantity(q: string | number): number {
  if (typeof q === 'number') {
    if (!Number.isFinite(q)) throw new QuantityError(q);
    return q;
  }
  if (typeof q !== 'string') throw new QuantityError(q);
  const m = QUANTITY_RE.exec(q);
  if (!m) throw new QuantityError(q);
  const num = Number(m[1]);
  if (m[2] !== undefined) return num * BINARY_SI[m[2]]!;
  if (m[3] !== undefined) return scale10(num, Number(m[3]));
  return scale10(num, DECIMAL_SI[m[4] ?? '']!);
}

/** True when `q` parses; for validation code that only needs a yes/no. */
export function isQuantity(q: unknown): q is string | number {
  if (typeof q !== 'string' && typeof q !== 'number') return false;
  try {
    parseQuantity(q);
    return true;
  } catch {
    return false;
  }
}
