// $(VAR) expansion as the kubelet's expansion package does it: named table cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expand, mappingFuncFor } from '../../src/podworker/translate/expansion.js';

const vars = mappingFuncFor(new Map([['VAR', 'value'], ['EMPTY', ''], ['A', 'a']]), new Map([['B', 'b'], ['A', 'shadowed']]));

const cases: { name: string; input: string; want: string }[] = [
  { name: 'plain text is unchanged', input: 'hello world', want: 'hello world' },
  { name: 'a known reference is replaced', input: 'x=$(VAR)', want: 'x=value' },
  { name: 'several references, second context consulted', input: '$(A)-$(B)-$(A)', want: 'a-b-a' },
  { name: 'the first context wins', input: '$(A)', want: 'a' },
  { name: 'a reference to an empty value gives empty', input: '[$(EMPTY)]', want: '[]' },
  { name: 'an undefined reference is left as written', input: 'x=$(X)', want: 'x=$(X)' },
  { name: '$$ escapes: $$(VAR) is the literal $(VAR)', input: '$$(VAR)', want: '$(VAR)' },
  { name: '$$$(VAR) is a literal $ then the value', input: '$$$(VAR)', want: '$value' },
  { name: '$$ alone is one $', input: 'cost: $$5', want: 'cost: $5' },
  { name: 'an unclosed reference stays as text', input: 'x=$(VAR', want: 'x=$(VAR' },
  { name: 'a $ not followed by ( is kept with its next character', input: '$VAR and $1', want: '$VAR and $1' },
  { name: 'a trailing $ is kept', input: 'end$', want: 'end$' },
  { name: 'an empty name is looked up (and left as is)', input: '$()', want: '$()' },
  { name: 'no nested expansion: a value that looks like a reference is not expanded again', input: '$(NESTED)', want: '$(A)' },
];

const nested = mappingFuncFor(new Map([['NESTED', '$(A)'], ['A', 'a']]));
for (const c of cases) {
  test(c.name, () => {
    assert.equal(expand(c.input, c.name.startsWith('no nested') ? nested : vars), c.want);
  });
}
