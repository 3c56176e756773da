// Tests for readDocuments: the first error only, with line, column and a bounded excerpt; prefixes that never change the answer; bounded cost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readDocuments } from '../../src/config/yaml-documents.js';

const lines = (n: number, line: (i: number) => string) => Array.from({ length: n }, (_, i) => line(i)).join('\n') + '\n';
/** About 1 MB of text. */
const MB = (line: (i: number) => string) => lines(45_000, line);

const cases: Array<[name: string, text: string, docs: number, error?: RegExp]> = [
  ['one good document', 'a: 1\n', 1],
  ['good, good, bad: the two before stand', 'a: 1\n---\nb: 2\n---\nc: [x\n', 3, /^Flow sequence .* end with a \] at line 6, column 1: ""$/],
  ['good then an error token in the open document: that document is the bad one', '{"a": 1}\n{"b": 2}\n', 1, /at line 2, column 1: "\{\\"b\\": 2\}"$/],
  ['JSON lines: one error, at line 2', lines(5000, (i) => JSON.stringify({ level: 30, msg: `line ${i}`, time: 1712345678901 + i })), 1, /at line 2, column 1: /],
  ['a 1 MB file of compact nested maps: the first line', MB((i) => `key${i}: value: ${i}`), 1, /^Nested mappings are not allowed in compact mappings at line 1, column 7: "value: 0"$/],
  ['a 1 MB file of unclosed flow sequences', MB((i) => `k${i}: [unclosed ${i}`), 1, /at line 2, column 1: "k1: \[unclosed 1"$/],
  ['a 1 MB file of tab-indented lines', MB((i) => `\tk${i}: v`), 1, /^Tabs are not allowed as indentation at line 1, column 1: "\\tk0: v"$/],
  // The prefix check must never turn a construct that closes after the first cut into an error.
  ['valid: a flow sequence open across the first cut', `list: [${lines(20_000, (i) => `  item-${i},`)}  last]\nafter: 1\n`, 1],
  ['valid: a quoted string open across the first cut', `text: "${lines(20_000, (i) => `  word ${i}`)}  end"\nafter: 1\n`, 1],
  ['invalid: the same string unindented, reported where the whole text reports it', `text: "${lines(20_000, (i) => `word ${i}`)}"\nafter: 1\n`, 1, /^Missing closing "quote at line 1, column 14: ""$/],
  ['valid: a block scalar across the first cut', `text: |\n${lines(20_000, (i) => `  line ${i}`)}after: 1\n`, 1],
  ['valid: a deep last item across the first cut', `a:\n  b:\n    c: [${lines(20_000, (i) => `      ${i},`)}      0]\n`, 1],
  ['an error after the first cut is still found, at its place', `${lines(10_000, (i) => `k${i}: v`)}bad: [x\n`, 1, /at line 10002, column 1: ""$/],
];

for (const [name, text, ndocs, error] of cases) {
  test(`readDocuments: ${name}`, () => {
    const t0 = performance.now();
    const docs = readDocuments(text);
    const ms = performance.now() - t0;
    assert.equal(docs.length, ndocs, JSON.stringify(docs.map((d) => d.syntax ?? typeof d.value)).slice(0, 500));
    const bad = docs.filter((d) => d.syntax !== undefined);
    if (!error) {
      assert.deepEqual(bad, []);
      return;
    }
    assert.equal(bad.length, 1, 'one error, whatever the text holds');
    assert.equal(docs.at(-1)!.syntax, bad[0]!.syntax, 'the error ends the list');
    assert.match(bad[0]!.syntax!, error);
    assert.ok(bad[0]!.syntax!.length < 300, `${bad[0]!.syntax!.length} characters`);
    // Without the first-error stop these took from seconds to minutes (a shared 2-core machine: generous).
    assert.ok(ms < 15_000, `${ms.toFixed(0)} ms`);
  });
}

test('readDocuments: a repeated key is no error (yaml.v2 decodes it; the last wins)', () => {
  assert.deepEqual(readDocuments('a: 1\na: 2\n'), [{ value: { a: 2 } }]);
});

test('readDocuments: an alias bomb is refused as this document\'s error', () => {
  const bomb = 'a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n';
  const docs = readDocuments(bomb);
  assert.equal(docs.length, 1);
  assert.match(docs[0]!.syntax!, /^cannot decode: /);
});

test('readDocuments: nesting too deep for the stack is an error, not a crash', () => {
  const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}\n`;
  const docs = readDocuments(deep);
  assert.equal(docs.length, 1);
  assert.ok(docs[0]!.syntax !== undefined && docs[0]!.syntax.length < 300);
});
