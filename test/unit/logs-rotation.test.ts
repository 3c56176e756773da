// The rotation plan (kubelet rotateLog: leftovers, excess rotated files, compression, the new name) and the rotation flags' parsing.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  needsRotation, parseContainerLogMaxFiles, parseContainerLogMaxSize, planRotation, rotationTimestamp, splitUnused, type RotationPlan,
} from '../../src/logs/rotation.js';

const LOG = '/logs/default_web_u1/app/0.log';
const f = (suffix: string) => `${LOG}.${suffix}`;
// Local time, as the kubelet's clock.Now() formats it.
const NOW = new Date(2024, 4, 1, 10, 0, 7);
const T = '20240501-100007';

describe('planRotation', () => {
  const cases: { name: string; rotated: string[]; maxFiles: number; want: RotationPlan }[] = [
    { name: 'first rotation: nothing to clean, the live log gets the timestamp', rotated: [], maxFiles: 5, want: { remove: [], compress: [], rotateTo: f(T) } },
    {
      name: 'the previous rotation is compressed now, not when it was renamed',
      rotated: [f('20240501-095950')],
      maxFiles: 5,
      want: { remove: [], compress: [f('20240501-095950')], rotateTo: f(T) },
    },
    {
      name: 'maxFiles 5 keeps 3 rotated: the oldest .gz goes, the newest is compressed',
      rotated: [f('20240501-095940'), f('20240501-095910.gz'), f('20240501-095930.gz'), f('20240501-095920.gz')],
      maxFiles: 5,
      want: { remove: [f('20240501-095910.gz')], compress: [f('20240501-095940')], rotateTo: f(T) },
    },
    {
      name: 'maxFiles 3 keeps 1 rotated',
      rotated: [f('20240501-095950'), f('20240501-095940.gz')],
      maxFiles: 3,
      want: { remove: [f('20240501-095940.gz')], compress: [f('20240501-095950')], rotateTo: f(T) },
    },
    {
      name: 'maxFiles 2 keeps none: the live log and the one renamed now',
      rotated: [f('20240501-095950'), f('20240501-095940.gz')],
      maxFiles: 2,
      want: { remove: [f('20240501-095940.gz'), f('20240501-095950')], compress: [], rotateTo: f(T) },
    },
    {
      name: 'a lowered maxFiles removes several, oldest first',
      rotated: [f('20240501-095901.gz'), f('20240501-095904'), f('20240501-095903.gz'), f('20240501-095902.gz')],
      maxFiles: 3,
      want: { remove: [f('20240501-095901.gz'), f('20240501-095902.gz'), f('20240501-095903.gz')], compress: [f('20240501-095904')], rotateTo: f(T) },
    },
    {
      name: 'leftovers of a failed rotation go and do not count: a .tmp and an uncompressed twin of a .gz',
      rotated: [f('20240501-095940'), f('20240501-095940.gz'), f('20240501-095950.tmp'), f('20240501-095950')],
      maxFiles: 4,
      want: { remove: [f('20240501-095940'), f('20240501-095950.tmp')], compress: [f('20240501-095950')], rotateTo: f(T) },
    },
    {
      name: 'rotated twice in one second: the first is compressed, the name is not reused',
      rotated: [f(T)],
      maxFiles: 5,
      want: { remove: [], compress: [f(T)], rotateTo: undefined },
    },
    {
      name: 'the name is taken by a compressed file of this second',
      rotated: [f(`${T}.gz`)],
      maxFiles: 5,
      want: { remove: [], compress: [], rotateTo: undefined },
    },
    {
      name: 'a taken name that is removed as excess is free again',
      rotated: [f(`${T}.gz`)],
      maxFiles: 2,
      want: { remove: [f(`${T}.gz`)], compress: [], rotateTo: f(T) },
    },
  ];
  for (const c of cases) {
    test(c.name, () => assert.deepEqual(planRotation(LOG, c.rotated, c.maxFiles, NOW), c.want));
  }
});

describe('splitUnused (kubelet filterUnusedLogs)', () => {
  test('.tmp and uncompressed twins are unused; .gz and lone rotated files are in use', () => {
    const r = splitUnused([f('a'), f('a.gz'), f('b.gz.tmp'), f('c'), f('d.tmp')]);
    assert.deepEqual(r, { inUse: [f('a.gz'), f('c')], unused: [f('a'), f('b.gz.tmp'), f('d.tmp')] });
  });
});

describe('rotationTimestamp', () => {
  const cases: { name: string; at: Date; want: string }[] = [
    { name: 'zero-padded fields', at: new Date(2024, 0, 2, 3, 4, 5), want: '20240102-030405' },
    { name: 'the last second of a year', at: new Date(2024, 11, 31, 23, 59, 59, 999), want: '20241231-235959' },
  ];
  for (const c of cases) test(c.name, () => assert.equal(rotationTimestamp(c.at), c.want));
});

describe('needsRotation', () => {
  const cases: { name: string; size: number; maxSize: number; want: boolean }[] = [
    { name: 'below the limit', size: 1023, maxSize: 1024, want: false },
    { name: 'exactly the limit (the kubelet skips only a smaller file)', size: 1024, maxSize: 1024, want: true },
    { name: 'above the limit', size: 5000, maxSize: 1024, want: true },
    { name: 'max size 0 rotates even an empty log', size: 0, maxSize: 0, want: true },
    { name: 'a negative max size turns rotation off', size: 1 << 30, maxSize: -1, want: false },
  ];
  for (const c of cases) test(c.name, () => assert.equal(needsRotation(c.size, { maxSize: c.maxSize, maxFiles: 5 }), c.want));
});

describe('parseContainerLogMaxSize (kubelet parseMaxSize)', () => {
  const cases: { name: string; in: string; want: number | RegExp }[] = [
    { name: 'the default', in: '10Mi', want: 10 * 1024 * 1024 },
    { name: 'binary suffix', in: '1Ki', want: 1024 },
    { name: 'a fraction that is whole bytes', in: '1.5Ki', want: 1536 },
    { name: 'decimal exponent', in: '1e3', want: 1000 },
    { name: 'negative: rotation off', in: '-1', want: -1 },
    { name: 'not whole bytes', in: '1.5', want: /^failed to parse container log max size "1.5": invalid max log size$/ },
    { name: 'milli-bytes', in: '100m', want: /invalid max log size$/ },
    { name: 'not a quantity', in: 'ten', want: /^failed to parse container log max size "ten": invalid quantity "ten"/ },
  ];
  for (const c of cases) {
    test(c.name, () => {
      if (typeof c.want === 'number') assert.equal(parseContainerLogMaxSize(c.in), c.want);
      else assert.throws(() => parseContainerLogMaxSize(c.in), { message: c.want });
    });
  }
});

describe('parseContainerLogMaxFiles', () => {
  const bad = /^invalid configuration: containerLogMaxFiles must be greater than 1$/;
  const cases: { name: string; in: string; want: number | RegExp }[] = [
    { name: 'the default', in: '5', want: 5 },
    { name: 'the least: live and the one just rotated', in: '2', want: 2 },
    { name: 'one', in: '1', want: bad },
    { name: 'zero', in: '0', want: bad },
    { name: 'negative', in: '-3', want: bad },
    { name: 'not an integer', in: '2.5', want: /^not an integer: 2.5$/ },
  ];
  for (const c of cases) {
    test(c.name, () => {
      if (typeof c.want === 'number') assert.equal(parseContainerLogMaxFiles(c.in), c.want);
      else assert.throws(() => parseContainerLogMaxFiles(c.in), { message: c.want });
    });
  }
});
