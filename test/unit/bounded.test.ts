// Tests for the bounding of user input in messages: truncate, quoteBounded, boundedJSON, joinBounded, excerptAt.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { boundedJSON, excerptAt, joinBounded, MAX_MESSAGE_CHARS, MAX_QUOTED_CHARS, quoteBounded, truncate } from '../../src/bounded.js';

const big = 'x'.repeat(1_000_000);

const truncations: Array<[name: string, text: string, max: number, want: string | RegExp]> = [
  ['short text unchanged', 'hello', 10, 'hello'],
  ['exactly max unchanged', 'abcdefghij', 10, 'abcdefghij'],
  ['long text cut, its length said', 'a'.repeat(100), 40, /^a+ \.\.\. \(100 characters\)$/],
  ['a max too small for the suffix: a plain cut', 'abcdefghijklmnop', 5, 'abcde'],
  ['a surrogate pair is not split', `${'a'.repeat(9)}😀${'b'.repeat(50)}`, 30, /^a{9} \.\.\. \(61 characters\)$/],
];
for (const [name, text, max, want] of truncations) {
  test(`truncate: ${name}`, () => {
    const got = truncate(text, max);
    assert.ok(got.length <= max, `${got.length} > ${max}`);
    if (typeof want === 'string') assert.equal(got, want);
    else assert.match(got, want);
  });
}

const quotes: Array<[name: string, value: unknown, want: string | RegExp]> = [
  ['a string as Go %q', 'web', '"web"'],
  ['a number bare', 80, '80'],
  ['a boolean bare', true, 'true'],
  ['null', null, 'null'],
  ['an object as JSON', { a: 1, b: ['x'] }, '{"a":1,"b":["x"]}'],
  ['a 1 MB string cut', big, /^"x+ \.\.\. \(\d+ characters\)$/],
  ['a huge object cut without stringifying it whole', { items: Array.from({ length: 100_000 }, (_, i) => ({ i, name: big })) }, /^\{"items":\[\{"i":0,"name":"x+/],
  ['deep nesting elided', { a: { b: { c: { d: { e: 1 } } } } }, '{"a":{"b":{"c":{"d":{…}}}}}'],
];
for (const [name, value, want] of quotes) {
  test(`quoteBounded: ${name}`, () => {
    const got = quoteBounded(value);
    assert.ok(got.length <= MAX_QUOTED_CHARS, `${got.length} characters`);
    if (typeof want === 'string') assert.equal(got, want);
    else assert.match(got, want);
  });
}

test('boundedJSON: a cycle-free but wide array stops early (time stays small)', () => {
  const wide = Array.from({ length: 1_000_000 }, () => 'y');
  const t0 = performance.now();
  const got = boundedJSON(wide, 100);
  assert.ok(got.length <= 100);
  assert.ok(performance.now() - t0 < 200, 'walked only what it wrote');
});

const joins: Array<[name: string, parts: string[], max: number, want: string | RegExp]> = [
  ['nothing', [], 100, ''],
  ['all fit', ['a', 'b', 'c'], 100, 'a; b; c'],
  ['the rest counted', Array.from({ length: 500 }, (_, i) => `spec.containers[${i}].name: Required value`), MAX_MESSAGE_CHARS, /; and \d+ more$/],
  ['one long part cut, the others counted', [big, 'b', 'c'], 200, /^x+ \.\.\. \(1000000 characters\); and 2 more$/],
  ['one long part alone cut', [big], 200, /^x+ \.\.\. \(1000000 characters\)$/],
];
for (const [name, parts, max, want] of joins) {
  test(`joinBounded: ${name}`, () => {
    const got = joinBounded(parts, '; ', max);
    assert.ok(got.length <= max, `${got.length} > ${max}`);
    if (typeof want === 'string') assert.equal(got, want);
    else assert.match(got, want);
  });
}

const excerpts: Array<[name: string, text: string, offset: number, want: string]> = [
  ['the rest of the line', 'key: value\nnext: line\n', 5, '"value"'],
  ['a long line cut', `${'z'.repeat(10_000)}\n`, 0, `"${'z'.repeat(40)}"…`],
  ['control bytes escaped', 'a\u0000b\u001bc\n', 0, '"a\\u0000b\\u001bc"'],
  ['at the end of the text', 'abc', 3, '""'],
  ['an offset past the end', 'abc', 99, '""'],
];
for (const [name, text, offset, want] of excerpts) {
  test(`excerptAt: ${name}`, () => assert.equal(excerptAt(text, offset), want));
}
