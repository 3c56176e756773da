// Resource quantities in the integer units the kubelet computes with (MilliValue, Value), rounding up as apimachinery does.
import { parseQuantity } from '../../config/quantity.js';
import { ContainerConfigError } from './errors.js';

// parseQuantity gives floats ("0.1" * 1000 is 100.00000000000001); snap to a micro-unit before
// rounding up so representation noise does not add one.
const snap = (x: number): number => Math.round(x * 1e6) / 1e6;

function parse(q: string | number): number {
  try {
    return parseQuantity(q);
  } catch (err) {
    throw new ContainerConfigError(err instanceof Error ? err.message : String(err));
  }
}

/** resource.Quantity.MilliValue: the quantity in thousandths, rounded up ("250m" → 250, "0.5" → 500). */
export function milliValue(q: string | number | undefined): number {
  if (q === undefined) return 0;
  return Math.ceil(snap(parse(q) * 1000));
}

/** resource.Quantity.Value: the quantity as an integer, rounded up ("1Gi" → 1073741824, "100m" → 1). */
export function value(q: string | number | undefined): number {
  if (q === undefined) return 0;
  return Math.ceil(snap(parse(q)));
}
