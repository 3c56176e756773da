// subPath and subPathExpr: created inside the volume with its mode, links followed only while inside, escapes refused.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { VolumeError } from '../../src/volumes/errors.js';
import { expandSubPathExpr, prepareSubPath } from '../../src/volumes/subpath.js';

const base = realpathSync(mkdtempSync(path.join(tmpdir(), 'mk-subpath-')));
after(() => rmSync(base, { recursive: true, force: true }));
const vol = path.join(base, 'vol');
const outside = path.join(base, 'outside');
mkdirSync(vol);
chmodSync(vol, 0o777);
mkdirSync(outside);
mkdirSync(path.join(vol, 'real'));
writeFileSync(path.join(vol, 'real/file'), 'x');
symlinkSync('real', path.join(vol, 'inside-link'));
symlinkSync(outside, path.join(vol, 'abs-escape'));
symlinkSync('../outside', path.join(vol, 'rel-escape'));
symlinkSync('nowhere', path.join(vol, 'dangling'));

test('a missing subPath is created as directories with the volume mode', async () => {
  const got = await prepareSubPath(vol, 'a/b', 'm', 'c');
  assert.equal(got, path.join(vol, 'a/b'));
  assert.equal(statSync(got).mode & 0o7777, 0o777);
  assert.equal(statSync(path.join(vol, 'a')).mode & 0o7777, 0o777);
});

test('an existing file, and a link that stays inside, resolve to their real path', async () => {
  assert.equal(await prepareSubPath(vol, 'real/file', 'm', 'c'), path.join(vol, 'real/file'));
  assert.equal(await prepareSubPath(vol, 'inside-link/file', 'm', 'c'), path.join(vol, 'real/file'));
  assert.equal(await prepareSubPath(vol, './real', 'm', 'c'), path.join(vol, 'real'));
});

const refused: { name: string; sub: string; message: RegExp }[] = [
  { name: 'absolute', sub: '/etc', message: /^error SubPath `\/etc` must not be an absolute path$/ },
  { name: 'a .. step', sub: 'real/../../outside', message: /^unable to provision SubPath `real\/\.\.\/\.\.\/outside`: must not contain '\.\.'$/ },
  { name: 'an absolute symlink out', sub: 'abs-escape', message: /volumeMount "m" of container "c": subPath "abs-escape" resolves outside the volume/ },
  { name: 'a relative symlink out, deeper', sub: 'rel-escape/x', message: /subPath "rel-escape\/x" resolves outside the volume/ },
  { name: 'a dangling symlink', sub: 'dangling/x', message: /holds a symlink that resolves nowhere/ },
];
for (const c of refused) {
  test(`refused: ${c.name}`, async () => {
    await assert.rejects(prepareSubPath(vol, c.sub, 'm', 'c'), (e: Error) => e instanceof VolumeError && c.message.test(e.message));
  });
}

test('nothing was created outside the volume', () => {
  assert.throws(() => statSync(path.join(outside, 'x')));
  assert.throws(() => statSync(path.join(vol, 'nowhere')));
});

test('subPathExpr: $(VAR) from the env, $$ escapes, a missing or empty VAR is an error', () => {
  const envs = [{ key: 'POD', value: 'web-1' }, { key: 'EMPTY', value: '' }];
  assert.equal(expandSubPathExpr('logs/$(POD)', envs), 'logs/web-1');
  assert.equal(expandSubPathExpr('$$(POD)', envs), '$(POD)');
  assert.throws(() => expandSubPathExpr('$(NOPE)/$(EMPTY)', envs), /missing value for EMPTY, NOPE$/);
});
