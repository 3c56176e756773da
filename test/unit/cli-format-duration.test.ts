// kubectl's AGE strings: apimachinery's HumanDuration boundaries, as named table cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { humanDuration, timestampSince } from '../../src/cli/format-duration.js';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

const cases: [name: string, ms: number, want: string][] = [
  ['zero', 0, '0s'],
  ['sub-second rounds down', 999, '0s'],
  ['a second in the future is now', -1500, '0s'],
  ['two seconds in the future is invalid', -2 * S, '<invalid>'],
  ['seconds up to two minutes', 119 * S, '119s'],
  ['two minutes exactly', 2 * M, '2m'],
  ['minutes and seconds under ten minutes', 2 * M + 3 * S, '2m3s'],
  ['ten minutes drops the seconds', 10 * M + 59 * S, '10m'],
  ['minutes up to three hours', 3 * H - 1, '179m'],
  ['three hours', 3 * H, '3h'],
  ['hours and minutes under eight hours', 3 * H + 5 * M, '3h5m'],
  ['eight hours drops the minutes', 8 * H + 30 * M, '8h'],
  ['hours up to two days', 47 * H, '47h'],
  ['two days', 48 * H, '2d'],
  ['days and hours under eight days', 4 * D + 5 * H, '4d5h'],
  ['days up to two years', 400 * D, '400d'],
  ['two years', 730 * D, '2y'],
  ['years and days under eight years', 733 * D, '2y3d'],
  ['years after eight', 9 * 365 * D + 100 * D, '9y'],
];

for (const [name, ms, want] of cases) {
  test(`humanDuration: ${name}`, () => assert.equal(humanDuration(ms), want));
}

test('timestampSince takes RFC3339 strings and Dates; a missing time is <unknown>', () => {
  const now = Date.parse('2024-05-01T10:00:05Z');
  assert.equal(timestampSince('2024-05-01T10:00:00Z', now), '5s');
  assert.equal(timestampSince(new Date('2024-05-01T09:57:55Z'), now), '2m10s');
  assert.equal(timestampSince(undefined, now), '<unknown>');
  assert.equal(timestampSince('not a time', now), '<unknown>');
});
