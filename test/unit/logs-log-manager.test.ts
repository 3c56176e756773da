// ContainerLogManager against the in-memory FakeCri and real log files in a temp dir: rename, gzip, ReopenContainerLog, rename back on failure.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { status as Status } from '@grpc/grpc-js';
import pino from 'pino';
import { criError } from '../../src/cri/errors.js';
import { ContainerLogManager } from '../../src/logs/log-manager.js';
import { rotationTimestamp } from '../../src/logs/rotation.js';
import { CONTAINER_NAME_LABEL, POD_UID_LABEL, ownershipSelector } from '../../src/runtime/labels.js';
import { FakeCri } from '../support/fake-cri.js';

const NODE = 'node-a';
const T0 = new Date(2026, 0, 1, 12, 0, 0).getTime();

const tempDirs: string[] = [];
process.once('exit', () => tempDirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function world(maxFiles = 5, maxSize = 1024) {
  let now = T0;
  const cri = new FakeCri({ now: () => now });
  cri.addImage('busybox:1.36');
  const base = mkdtempSync(path.join(tmpdir(), 'mk-rotate-'));
  tempDirs.push(base);
  const podLogsDir = path.join(base, 'pods');
  // containerd's ReopenContainerLog: the running container's log is opened anew at its path.
  const reopened: string[] = [];
  const reopen = cri.reopenContainerLog.bind(cri);
  cri.reopenContainerLog = async (id, opts) => {
    await reopen(id, opts);
    const log = cri.containers.get(id)!.status.logPath;
    if (!existsSync(log)) writeFileSync(log, '');
    reopened.push(id);
  };
  const manager = new ContainerLogManager({
    cri, nodeName: NODE, podLogsDir, policy: { maxSize, maxFiles }, clock: () => now, logger: pino({ level: 'silent' }),
  });

  /** A running container of pod `uid` whose live log holds `bytes`; `logsUnder` puts the log elsewhere, `owner` replaces our labels. */
  async function container(uid: string, bytes: string, opts: { logsUnder?: string; owner?: Record<string, string>; exited?: boolean } = {}) {
    const logDirectory = path.join(opts.logsUnder ?? podLogsDir, `default_p_${uid}`);
    mkdirSync(path.join(logDirectory, 'app'), { recursive: true });
    const labels = { ...(opts.owner ?? ownershipSelector(NODE)), [POD_UID_LABEL]: uid, [CONTAINER_NAME_LABEL]: 'app' };
    const sb = await cri.runPodSandbox({ metadata: { name: 'p', namespace: 'default', uid, attempt: 0 }, labels, logDirectory });
    const id = await cri.createContainer(sb, { metadata: { name: 'app', attempt: 0 }, image: { image: 'busybox:1.36' }, labels, logPath: 'app/0.log' }, { metadata: { name: 'p', namespace: 'default', uid, attempt: 0 }, logDirectory });
    await cri.startContainer(id);
    if (opts.exited) cri.exitContainer(id, 0);
    const log = path.join(logDirectory, 'app', '0.log');
    writeFileSync(log, bytes);
    return { id, log, dir: path.dirname(log) };
  }

  return { cri, manager, reopened, container, advance: (ms: number) => (now += ms), stamp: () => rotationTimestamp(new Date(now)) };
}

const line = (n: number, size = 100) => `2026-01-01T12:00:00.000000000Z stdout F ${String(n).padEnd(size - 41, 'x')}\n`;
const lines = (from: number, count: number) => Array.from({ length: count }, (_, i) => line(from + i)).join('');

describe('ContainerLogManager', () => {
  it('asks the runtime for a container\'s log path once, and again only for a container it has not seen', async () => {
    const w = world();
    let statusCalls = 0;
    const status = w.cri.containerStatus.bind(w.cri);
    w.cri.containerStatus = async (...args) => {
      statusCalls++;
      return status(...args);
    };
    const a = await w.container('u1', 'small\n');
    await w.manager.rotateOnce();
    await w.manager.rotateOnce();
    assert.equal(statusCalls, 1, 'the path of a running container does not change');
    writeFileSync(a.log, lines(0, 11));
    assert.deepEqual((await w.manager.rotateOnce()).rotated, [a.id], 'the cached path still finds it big');
    await w.container('u2', 'small\n');
    await w.manager.rotateOnce();
    assert.equal(statusCalls, 2, 'a new container is asked about once');
  });

  it('a log at max size is renamed to <log>.<timestamp>, the runtime reopens it, and the next rotation gzips it', async () => {
    const w = world();
    const first = lines(0, 11);
    const c = await w.container('u1', first);
    const r1 = await w.manager.rotateOnce();
    assert.deepEqual(r1, { rotated: [c.id], errors: 0 });
    const rotated1 = `${c.log}.${w.stamp()}`;
    assert.equal(readFileSync(rotated1, 'utf8'), first, 'the rotated file holds the old log as it was');
    assert.equal(readFileSync(c.log, 'utf8'), '', 'the runtime opened a fresh live log');
    assert.deepEqual(w.reopened, [c.id]);

    const second = lines(100, 12);
    writeFileSync(c.log, second);
    w.advance(10_000);
    const r2 = await w.manager.rotateOnce();
    assert.deepEqual(r2.rotated, [c.id]);
    const rotated2 = `${c.log}.${w.stamp()}`;
    assert.deepEqual(readdirSync(c.dir).sort(), ['0.log', path.basename(rotated1) + '.gz', path.basename(rotated2)].sort());
    assert.equal(gunzipSync(readFileSync(`${rotated1}.gz`)).toString('utf8'), first, 'gunzip gives back the original bytes');
    assert.equal(readFileSync(rotated2, 'utf8'), second, 'the newest rotated file stays uncompressed');
  });

  it('a log below max size is left alone and the runtime is not asked to reopen', async () => {
    const w = world();
    const c = await w.container('u1', lines(0, 10).slice(0, 1023));
    assert.deepEqual(await w.manager.rotateOnce(), { rotated: [], errors: 0 });
    assert.deepEqual(readdirSync(c.dir), ['0.log']);
    assert.deepEqual(w.reopened, []);
  });

  it('a failed ReopenContainerLog renames the log back, and the next interval rotates it', async () => {
    const w = world();
    const bytes = lines(0, 20);
    const c = await w.container('u1', bytes);
    w.cri.failNext('reopenContainerLog', criError(Status.UNAVAILABLE, 'ReopenContainerLog', 'connection refused'));
    const r = await w.manager.rotateOnce();
    assert.deepEqual(r, { rotated: [], errors: 1 });
    assert.deepEqual(readdirSync(c.dir), ['0.log'], 'no rotated file is left');
    assert.equal(readFileSync(c.log, 'utf8'), bytes, 'the live log is back with its content');
    w.advance(10_000);
    assert.deepEqual((await w.manager.rotateOnce()).rotated, [c.id]);
    assert.equal(readFileSync(`${c.log}.${w.stamp()}`, 'utf8'), bytes);
  });

  it('keeps at most maxFiles files per log over many rotations: the live one, the newest rotated, the rest .gz', async () => {
    const w = world(3);
    const c = await w.container('u1', '');
    for (let i = 0; i < 6; i++) {
      writeFileSync(c.log, lines(i * 100, 11));
      w.advance(10_000);
      assert.deepEqual((await w.manager.rotateOnce()).rotated, [c.id], `rotation ${i}`);
      assert.ok(readdirSync(c.dir).length <= 3, `rotation ${i}: ${readdirSync(c.dir).join(' ')}`);
    }
    const files = readdirSync(c.dir).sort();
    assert.equal(files.length, 3);
    assert.deepEqual(files.map((f) => (f === '0.log' ? 'live' : f.endsWith('.gz') ? 'gz' : 'rotated')).sort(), ['gz', 'live', 'rotated']);
    const gz = files.find((f) => f.endsWith('.gz'))!;
    assert.equal(gunzipSync(readFileSync(path.join(c.dir, gz))).toString('utf8'), lines(400, 11), 'the .gz is the second newest rotation');
  });

  it('two rotations within one second: the second waits rather than reuse the name', async () => {
    const w = world();
    const c = await w.container('u1', lines(0, 11));
    await w.manager.rotateOnce();
    writeFileSync(c.log, lines(100, 11));
    assert.deepEqual(await w.manager.rotateOnce(), { rotated: [], errors: 0 });
    assert.deepEqual(readdirSync(c.dir).sort(), ['0.log', `0.log.${w.stamp()}.gz`], 'the earlier rotation was compressed, the live log kept its name');
    assert.equal(readFileSync(c.log, 'utf8'), lines(100, 11));
  });

  it('rotates only running containers this node owns, and never a log outside --pod-logs-dir', async () => {
    const w = world();
    const big = lines(0, 20);
    const exited = await w.container('u1', big, { exited: true });
    const foreign = await w.container('u2', big, { owner: { 'other.client/owner': 'them' } });
    const outsideDir = mkdtempSync(path.join(tmpdir(), 'mk-rotate-outside-'));
    tempDirs.push(outsideDir);
    const outside = await w.container('u3', big, { logsUnder: outsideDir });
    assert.deepEqual(await w.manager.rotateOnce(), { rotated: [], errors: 0 });
    for (const c of [exited, foreign, outside]) assert.deepEqual(readdirSync(c.dir), ['0.log']);
    assert.deepEqual(w.reopened, []);
  });

  it('a live log that vanished is reopened (kubelet processContainer) and, being empty, not rotated', async () => {
    const w = world();
    const c = await w.container('u1', '');
    rmSync(c.log);
    assert.deepEqual(await w.manager.rotateOnce(), { rotated: [], errors: 0 });
    assert.deepEqual(w.reopened, [c.id]);
    assert.equal(existsSync(c.log), true);
  });

  it('a .tmp left by an interrupted compression is removed at the next rotation', async () => {
    const w = world();
    const c = await w.container('u1', lines(0, 11));
    writeFileSync(`${c.log}.20250101-000000.tmp`, 'half a gzip');
    await w.manager.rotateOnce();
    assert.deepEqual(readdirSync(c.dir).sort(), ['0.log', `0.log.${w.stamp()}`]);
  });

  it('a failed listing counts one error and rotates nothing', async () => {
    const w = world();
    await w.container('u1', lines(0, 20));
    w.cri.failNext('listContainers', criError(Status.UNAVAILABLE, 'ListContainers', 'connection refused'));
    assert.deepEqual(await w.manager.rotateOnce(), { rotated: [], errors: 1 });
  });

  it('start runs a pass at once, stop ends the passes; a negative max size never rotates', async () => {
    const w = world();
    const c = await w.container('u1', lines(0, 20));
    w.manager.start();
    for (let i = 0; i < 100 && w.reopened.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    await w.manager.stop();
    assert.deepEqual(w.reopened, [c.id]);
    assert.equal(existsSync(`${c.log}.${w.stamp()}`), true);

    const off = world(5, -1);
    const d = await off.container('u1', lines(0, 20));
    off.manager.start();
    await off.manager.stop();
    assert.deepEqual(readdirSync(d.dir), ['0.log']);
  });
});
