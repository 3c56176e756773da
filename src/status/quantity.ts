// A minimal resource.Quantity reader for the QoS rules: exact values in nano-units, to add and compare.
//
// A local stand-in: the project's general quantity parser (src/config/quantity.ts) was not there when
// this was written. Only what GetPodQOS needs: parse, add, compare. Sub-nano fractions round up,
// as resource.Quantity rounds up when it scales down.

const SUFFIX: Record<string, [base: bigint, exp: number]> = {
  n: [10n, -9], u: [10n, -6], m: [10n, -3], '': [10n, 0],
  k: [10n, 3], M: [10n, 6], G: [10n, 9], T: [10n, 12], P: [10n, 15], E: [10n, 18],
  Ki: [2n, 10], Mi: [2n, 20], Gi: [2n, 30], Ti: [2n, 40], Pi: [2n, 50], Ei: [2n, 60],
};

const QUANTITY = /^([+-]?)(\d+\.?\d*|\.\d+)(?:[eE]([+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$/;

/** The quantity in nano-units (1 = 1e-9 of the unit), or undefined when it is not a valid quantity. */
export function quantityNano(q: string | number): bigint | undefined {
  const m = QUANTITY.exec(String(q).trim());
  if (!m) return undefined;
  const [, sign, mantissa, exp, suffix = ''] = m;
  const [intPart, fracPart = ''] = mantissa!.split('.');
  let num = BigInt((intPart || '0') + fracPart);
  let den = 10n ** BigInt(fracPart.length);
  const [base, power] = exp !== undefined ? [10n, Number(exp)] : SUFFIX[suffix]!;
  // Scale to nano-units, then apply the suffix or exponent.
  num *= 10n ** 9n;
  if (power >= 0) num *= base ** BigInt(power);
  else den *= base ** BigInt(-power);
  const nano = (num + den - 1n) / den;
  return sign === '-' ? -nano : nano;
}
