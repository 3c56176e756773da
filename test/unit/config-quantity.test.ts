// Tests for parseQuantity: the API's quantity grammar, cores and bytes out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isQuantity, parseQuantity, QuantityError } from '../../src/config/quantity.js';

const valid: Array<[name: string, input: string | number, want: number]> = [
  ['plain integer', '2', 2],
  ['bare YAML number', 2, 2],
  ['millicores', '250m', 0.25],
  ['millicores exactly', '1100m', 1.1],
  ['fractional cores', '0.5', 0.5],
  ['leading dot', '.5', 0.5],
  ['trailing dot', '5.', 5],
  ['nano', '100n', 1e-7],
  ['micro', '3u', 3e-6],
  ['kilo (decimal)', '1k', 1000],
  ['mega', '128M', 128e6],
  ['giga', '1G', 1e9],
  ['exa suffix', '1E', 1e18],
  ['Ki', '1Ki', 1024],
  ['Mi', '64Mi', 64 * 2 ** 20],
  ['fractional Gi', '1.5Gi', 1.5 * 2 ** 30],
  ['Ei is binary, not exponent', '1Ei', 2 ** 60],
  ['exponent', '1e3', 1000],
  ['capital exponent', '1E3', 1000],
  ['negative exponent', '5e-1', 0.5],
  ['explicit plus', '+1', 1],
  ['negative (parses; validation rejects)', '-1', -1],
  ['zero', '0', 0],
];

for (const [name, input, want] of valid) {
  test(`parseQuantity: ${name} (${JSON.stringify(input)})`, () => {
    assert.equal(parseQuantity(input), want);
    assert.equal(isQuantity(input), true);
  });
}

const invalid: Array<[name: string, input: unknown]> = [
  ['empty', ''],
  ['letters', 'abc'],
  ['unknown suffix', '1KB'],
  ['lowercase ki', '1ki'],
  ['space inside', '1 Gi'],
  ['two dots', '1.2.3'],
  ['suffix only', 'Mi'],
  ['exponent without digits', '1e'],
  ['infinite number', Infinity],
  ['not a string', { cpu: 1 }],
];

for (const [name, input] of invalid) {
  test(`parseQuantity rejects: ${name}`, () => {
    assert.throws(() => parseQuantity(input as string), QuantityError);
    assert.equal(isQuantity(input), false);
  });
}

test('parseQuantity error message names the input and the API regexp', () => {
  assert.throws(() => parseQuantity('1KB'), /invalid quantity "1KB": quantities must match the regular expression/);
});
