// hashContainer: stable across key order and undefined members, different for a different spec.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Container } from '@kubernetes/client-node';
import { canonicalJson, fnv32a, hashContainer } from '../../src/podworker/translate/hash.js';

test('fnv32a matches the FNV-1a reference values', () => {
  assert.equal(fnv32a(''), 0x811c9dc5);
  assert.equal(fnv32a('a'), 0xe40c292c);
  assert.equal(fnv32a('foobar'), 0xbf9cf968);
});

test('canonicalJson sorts keys at every level and drops undefined members', () => {
  assert.equal(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: undefined } }), '{"a":{"d":[1,{"y":2,"z":1}]},"b":1}');
});

test('hashContainer is the same whatever the key order, and hex', () => {
  const a: V1Container = { name: 'app', image: 'busybox:1.36', command: ['sh'], env: [{ name: 'X', value: '1' }] };
  const b = { env: [{ value: '1', name: 'X' }], command: ['sh'], image: 'busybox:1.36', name: 'app', tty: undefined } as V1Container;
  assert.equal(hashContainer(a), hashContainer(b));
  assert.match(hashContainer(a), /^[0-9a-f]{1,8}$/);
});

test('hashContainer changes when the spec changes', () => {
  const base: V1Container = { name: 'app', image: 'busybox:1.36' };
  const hashes = new Set([
    hashContainer(base),
    hashContainer({ ...base, image: 'busybox:1.37' }),
    hashContainer({ ...base, args: ['x'] }),
    hashContainer({ ...base, name: 'app2' }),
  ]);
  assert.equal(hashes.size, 4);
});
