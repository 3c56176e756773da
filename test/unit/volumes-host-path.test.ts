// hostPath volumes: each HostPathType's check against real files, what *OrCreate makes, and the messages (hostpath.checkType).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { checkHostPathType, setUpHostPath } from '../../src/volumes/host-path.js';
import { VolumeError } from '../../src/volumes/errors.js';

const base = mkdtempSync(path.join(tmpdir(), 'mk-hostpath-'));
const dir = path.join(base, 'dir');
const file = path.join(base, 'file');
const sock = path.join(base, 'sock');
const fifo = path.join(base, 'fifo');
const missing = path.join(base, 'missing');
mkdirSync(dir);
writeFileSync(file, 'x');
execFileSync('mkfifo', [fifo]);
const block = readdirSync('/dev').map((n) => `/dev/${n}`).find((p) => statSync(p).isBlockDevice());

const server = createServer();
await new Promise<void>((r) => server.listen(sock, r));
server.unref(); // the socket file is what is checked; the process must still end
after(() => rmSync(base, { recursive: true, force: true }));

const ok: [string, string][] = [
  ['Directory', dir], ['DirectoryOrCreate', dir], ['File', file], ['FileOrCreate', file],
  ['Socket', sock], ['CharDevice', '/dev/null'], ['BlockDevice', block!],
];
for (const [type, p] of ok) {
  test(`${type} accepts ${path.basename(p)}`, async () => {
    assert.ok(p, 'this machine has a block device in /dev');
    await checkHostPathType(p, type);
  });
}

const wrong: [string, string, string][] = [
  ['Directory', file, `hostPath type check failed: ${file} is not a directory, it's a File`],
  ['File', dir, `hostPath type check failed: ${dir} is not a file, it's a Directory`],
  ['FileOrCreate', dir, `hostPath type check failed: ${dir} is not a file, it's a Directory`],
  ['DirectoryOrCreate', file, `hostPath type check failed: ${file} is not a directory, it's a File`],
  ['Socket', file, `hostPath type check failed: ${file} is not a socket file, it's a File`],
  ['CharDevice', dir, `hostPath type check failed: ${dir} is not a character device, it's a Directory`],
  ['BlockDevice', '/dev/null', `hostPath type check failed: /dev/null is not a block device, it's a CharDevice`],
  ['Directory', missing, `hostPath ${missing} doesn't exist`],
  ['Socket', missing, `hostPath ${missing} doesn't exist`],
  ['File', fifo, `hostPath type check failed, ${fifo} is not a file, unable to determine its type: only recognise file, directory, socket, block device and character device`],
  ['Fifo', file, 'Fifo is an invalid volume type'],
];
for (const [type, p, message] of wrong) {
  test(`${type} refuses ${path.basename(p)}`, async () => {
    await assert.rejects(checkHostPathType(p, type), (err: Error) => err instanceof VolumeError && err.message === message);
  });
}

test('DirectoryOrCreate makes the directory and its parents, 0755', async () => {
  const p = path.join(base, 'made/deep/dir');
  await checkHostPathType(p, 'DirectoryOrCreate');
  assert.ok(statSync(p).isDirectory());
  assert.equal(statSync(p).mode & 0o777, 0o755);
});

test('FileOrCreate makes an empty 0644 file, but not its parent', async () => {
  const p = path.join(base, 'made-file');
  await checkHostPathType(p, 'FileOrCreate');
  assert.equal(statSync(p).size, 0);
  assert.equal(statSync(p).mode & 0o777, 0o644);
  await assert.rejects(checkHostPathType(path.join(base, 'no-parent/f'), 'FileOrCreate'), /cannot create file/);
});

test('setUpHostPath: an unset type checks nothing; backsteps are refused', async () => {
  assert.equal(await setUpHostPath({ path: missing, type: '' }), missing);
  assert.equal(await setUpHostPath({ path: missing }), missing);
  await assert.rejects(setUpHostPath({ path: `${dir}/../file`, type: 'File' }), /must not contain '\.\.'/);
});
