// ContainerGC removes a dead container's rotated logs with its live one (kubelet containerLogManager.Clean's `<logPath>*`), and nothing of the instances it keeps.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import pino from 'pino';
import { ContainerGC } from '../../src/gc/container-gc.js';
import { allContainerLogFiles } from '../../src/logs/rotation-fs.js';
import { CONTAINER_NAME_LABEL, POD_UID_LABEL, ownershipSelector } from '../../src/runtime/labels.js';
import { FakeCri } from '../support/fake-cri.js';

const NODE = 'node-a';
const tempDirs: string[] = [];
process.once('exit', () => tempDirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const ROTATED = ['20260101-120000.gz', '20260101-120010.gz', '20260101-120020', '20260101-120030.tmp'];

async function world(logsUnder?: (base: string) => string) {
  let now = Date.parse('2026-01-01T12:00:00Z');
  const cri = new FakeCri({ now: () => now });
  cri.addImage('busybox:1.36');
  const base = mkdtempSync(path.join(tmpdir(), 'mk-gc-rotated-'));
  tempDirs.push(base);
  const podLogsDir = path.join(base, 'pods');
  const logDirectory = path.join(logsUnder?.(base) ?? podLogsDir, 'default_p_u1');
  mkdirSync(path.join(logDirectory, 'app'), { recursive: true });
  const labels = { ...ownershipSelector(NODE), [POD_UID_LABEL]: 'u1', [CONTAINER_NAME_LABEL]: 'app' };
  const meta = { name: 'p', namespace: 'default', uid: 'u1', attempt: 0 };
  const sb = await cri.runPodSandbox({ metadata: meta, labels, logDirectory });
  /** Instance `attempt` of container app, with its live log and the rotated ones. */
  const instance = async (attempt: number, state: 'running' | 'exited') => {
    now += 1000;
    const id = await cri.createContainer(sb, { metadata: { name: 'app', attempt }, image: { image: 'busybox:1.36' }, labels, logPath: `app/${attempt}.log` }, { metadata: meta, logDirectory });
    await cri.startContainer(id);
    if (state === 'exited') cri.exitContainer(id, 1);
    const log = path.join(logDirectory, 'app', `${attempt}.log`);
    for (const f of [log, ...ROTATED.map((r) => `${log}.${r}`)]) writeFileSync(f, 'x');
    return id;
  };
  const gc = new ContainerGC({ cri, nodeName: NODE, podLogsDir, livePods: () => new Set(['u1']), clock: () => now, logger: pino({ level: 'silent' }) });
  return { gc, instance, appDir: path.join(logDirectory, 'app') };
}

const filesOf = (attempt: number) => [`${attempt}.log`, ...ROTATED.map((r) => `${attempt}.log.${r}`)];

describe('ContainerGC and rotated logs', () => {
  it('a removed instance loses its live and rotated logs; the kept ones (1.log, 10.log) keep all theirs', async () => {
    const w = await world();
    // Attempts 0..10; 10 runs, 9 is the newest dead one (kept), 0..8 go. 1.log* must not take 10.log* with it.
    for (let a = 0; a <= 9; a++) await w.instance(a, 'exited');
    await w.instance(10, 'running');
    const r = await w.gc.garbageCollect();
    assert.equal(r.containers.length, 9);
    assert.equal(r.logFiles.length, 9 * filesOf(0).length);
    assert.deepEqual(readdirSync(w.appDir).sort(), [...filesOf(9), ...filesOf(10)].sort());
  });

  it('a log path outside --pod-logs-dir is not touched', async () => {
    const w = await world((base) => path.join(base, 'elsewhere'));
    await w.instance(0, 'exited');
    await w.instance(1, 'exited');
    const r = await w.gc.garbageCollect();
    assert.equal(r.containers.length, 1, 'the container itself is removed');
    assert.deepEqual(r.logFiles, []);
    assert.ok(filesOf(0).every((f) => existsSync(path.join(w.appDir, f))));
  });
});

describe('allContainerLogFiles (Clean\'s <logPath>* glob)', () => {
  it('the live log and its rotated files; not another instance\'s, not a directory; none for a missing directory', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mk-gc-glob-'));
    tempDirs.push(dir);
    for (const f of ['1.log', '1.log.20260101-120000.gz', '1.log.20260101-120010', '10.log', '10.log.20260101-120000.gz', '2.log']) writeFileSync(path.join(dir, f), 'x');
    mkdirSync(path.join(dir, '1.log.d'));
    const got = (await allContainerLogFiles(path.join(dir, '1.log'))).map((f) => path.basename(f)).sort();
    assert.deepEqual(got, ['1.log', '1.log.20260101-120000.gz', '1.log.20260101-120010']);
    assert.deepEqual(await allContainerLogFiles(path.join(dir, 'gone', '0.log')), []);
  });
});
