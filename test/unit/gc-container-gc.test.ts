// ContainerGC against the in-memory FakeCri with an injected clock and real log files in a temp dir.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { status as Status } from '@grpc/grpc-js';
import pino from 'pino';
import { criError } from '../../src/cri/errors.js';
import { ContainerGC } from '../../src/gc/container-gc.js';
import type { GCPolicy } from '../../src/gc/evict.js';
import { CONTAINER_NAME_LABEL, POD_NAME_LABEL, POD_NAMESPACE_LABEL, POD_UID_LABEL, ownershipSelector } from '../../src/runtime/labels.js';
import { FakeCri } from '../support/fake-cri.js';

const NODE = 'node-a';
const T0 = Date.parse('2026-01-01T00:00:00Z');

// Removed when the test process ends, so test runs leave nothing behind in /tmp.
const tempDirs: string[] = [];
process.once('exit', () => tempDirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function world(policy?: GCPolicy) {
  let now = T0;
  const cri = new FakeCri({ now: () => now });
  cri.addImage('busybox:1.36');
  const base = mkdtempSync(path.join(tmpdir(), 'mk-gc-'));
  tempDirs.push(base);
  const logs = path.join(base, 'pods');
  const live = new Set<string>();
  const gc = new ContainerGC({ cri, nodeName: NODE, podLogsDir: logs, policy, livePods: () => live, clock: () => now, logger: pino({ level: 'silent' }) });
  const ours = ownershipSelector(NODE);

  /** A sandbox of pod `uid` with its log directory; `owner` replaces the ownership labels (another client, another node). */
  async function sandbox(uid: string, attempt = 0, opts: { owner?: Record<string, string>; logsUnder?: string } = {}) {
    const name = `p-${uid}`;
    const logDirectory = path.join(opts.logsUnder ?? logs, `default_${name}_${uid}`);
    mkdirSync(logDirectory, { recursive: true });
    const labels = { ...(opts.owner ?? ours), [POD_UID_LABEL]: uid, [POD_NAME_LABEL]: name, [POD_NAMESPACE_LABEL]: 'default' };
    now += 1000;
    const id = await cri.runPodSandbox({ metadata: { name, namespace: 'default', uid, attempt }, labels, logDirectory });
    return { id, uid, labels, logDirectory };
  }

  /** A started container with a log file; 'exited' ends it with exit code 1. */
  async function container(sb: Awaited<ReturnType<typeof sandbox>>, name: string, attempt: number, state: 'running' | 'exited') {
    now += 1000;
    const logPath = `${name}/${attempt}.log`;
    mkdirSync(path.join(sb.logDirectory, name), { recursive: true });
    writeFileSync(path.join(sb.logDirectory, logPath), `log of ${name} #${attempt}\n`);
    const labels = { ...sb.labels, [CONTAINER_NAME_LABEL]: name };
    const id = await cri.createContainer(sb.id, { metadata: { name, attempt }, image: { image: 'busybox:1.36' }, labels, logPath }, { metadata: { name: '', namespace: '', uid: sb.uid, attempt: 0 }, logDirectory: sb.logDirectory });
    await cri.startContainer(id);
    if (state === 'exited') cri.exitContainer(id, 1);
    return { id, log: path.join(sb.logDirectory, logPath) };
  }

  return { cri, gc, live, logs, sandbox, container, advance: (ms: number) => (now += ms) };
}

describe('ContainerGC', () => {
  it('a crash-looping live pod keeps its running container and newest exited one; the others and their log files go', async () => {
    const w = world();
    const sb = await w.sandbox('u1');
    w.live.add('u1');
    const c0 = await w.container(sb, 'app', 0, 'exited');
    const c1 = await w.container(sb, 'app', 1, 'exited');
    const c2 = await w.container(sb, 'app', 2, 'exited');
    const c3 = await w.container(sb, 'app', 3, 'running');
    const r = await w.gc.garbageCollect();
    assert.deepEqual(r.containers.sort(), [c0.id, c1.id].sort());
    assert.deepEqual([...w.cri.containers.keys()].sort(), [c2.id, c3.id].sort());
    assert.equal(existsSync(c0.log) || existsSync(c1.log), false, 'the removed containers\' log files are gone');
    assert.equal(existsSync(c2.log) && existsSync(c3.log), true, 'the kept ones keep theirs');
    assert.equal(existsSync(sb.logDirectory), true, 'a live pod keeps its log directory');
    assert.deepEqual(r.sandboxes, []);
  });

  it('a removed pod: dead containers, dead sandboxes and the log directory go in one pass', async () => {
    const w = world();
    const old = await w.sandbox('gone', 0);
    await w.container(old, 'app', 0, 'exited');
    await w.cri.stopPodSandbox(old.id);
    const sb = await w.sandbox('gone', 1);
    await w.container(sb, 'app', 1, 'exited');
    await w.cri.stopPodSandbox(sb.id);
    const r = await w.gc.garbageCollect();
    assert.equal(r.containers.length, 2);
    assert.deepEqual(r.sandboxes.sort(), [old.id, sb.id].sort());
    assert.equal(w.cri.sandboxes.size + w.cri.containers.size, 0);
    assert.deepEqual(r.logDirectories, [path.basename(sb.logDirectory)]);
    assert.equal(existsSync(sb.logDirectory), false);
  });

  it('a removed pod still running (the orphan killer has not stopped it yet) keeps its sandbox, running container and logs', async () => {
    const w = world();
    const sb = await w.sandbox('orphan');
    await w.container(sb, 'app', 0, 'exited');
    const running = await w.container(sb, 'side', 0, 'running');
    const r = await w.gc.garbageCollect();
    assert.equal(r.containers.length, 1, 'only the dead container');
    assert.deepEqual([...w.cri.containers.keys()], [running.id]);
    assert.deepEqual(r.sandboxes, []);
    assert.equal(existsSync(sb.logDirectory), true);
  });

  it('a live pod keeps its newest sandbox and loses its older dead ones', async () => {
    const w = world();
    w.live.add('u2');
    const first = await w.sandbox('u2', 0);
    await w.cri.stopPodSandbox(first.id);
    const second = await w.sandbox('u2', 1);
    await w.cri.stopPodSandbox(second.id);
    const r = await w.gc.garbageCollect();
    assert.deepEqual(r.sandboxes, [first.id]);
    assert.deepEqual([...w.cri.sandboxes.keys()], [second.id]);
  });

  it('never touches objects without this node\'s ownership labels, nor the logs of pods another client still has', async () => {
    const w = world();
    const foreign = await w.sandbox('other', 0, { owner: { 'some.client/owner': 'them' } });
    await w.container(foreign, 'app', 0, 'exited');
    await w.container(foreign, 'app', 1, 'exited');
    await w.cri.stopPodSandbox(foreign.id);
    const otherNode = await w.sandbox('other-node', 0, { owner: ownershipSelector('node-b') });
    await w.container(otherNode, 'app', 0, 'exited');
    await w.cri.stopPodSandbox(otherNode.id);
    const before = { sandboxes: w.cri.sandboxes.size, containers: w.cri.containers.size };
    const r = await w.gc.garbageCollect();
    assert.deepEqual(r, { containers: [], sandboxes: [], logDirectories: [], logFiles: [], errors: 0 });
    assert.deepEqual({ sandboxes: w.cri.sandboxes.size, containers: w.cri.containers.size }, before);
    assert.equal(existsSync(foreign.logDirectory) && existsSync(otherNode.logDirectory), true);
  });

  it('leaves unrelated directories under --pod-logs-dir alone', async () => {
    const w = world();
    mkdirSync(path.join(w.logs, 'lost+found'), { recursive: true });
    mkdirSync(path.join(w.logs, 'not_a_pod_dir_at_all'), { recursive: true });
    const r = await w.gc.garbageCollect();
    assert.deepEqual(r.logDirectories, []);
    assert.equal(existsSync(path.join(w.logs, 'lost+found')) && existsSync(path.join(w.logs, 'not_a_pod_dir_at_all')), true);
  });

  it('--minimum-container-ttl-duration: dead containers stay until they are old enough (injected clock)', async () => {
    const w = world({ maxPerPodContainer: 1, minAgeMs: 60_000, maxContainers: -1 });
    w.live.add('u3');
    const sb = await w.sandbox('u3');
    const c0 = await w.container(sb, 'app', 0, 'exited');
    await w.container(sb, 'app', 1, 'exited');
    await w.container(sb, 'app', 2, 'running');
    assert.deepEqual((await w.gc.garbageCollect()).containers, []);
    w.advance(57_000); // app-0 is 59s old
    assert.deepEqual((await w.gc.garbageCollect()).containers, [], 'still younger than the TTL');
    w.advance(2_000);
    assert.deepEqual((await w.gc.garbageCollect()).containers, [c0.id]);
  });

  it('--maximum-dead-containers-per-container 0 keeps only the newest instance', async () => {
    const w = world({ maxPerPodContainer: 0, minAgeMs: 0, maxContainers: -1 });
    w.live.add('u4');
    const sb = await w.sandbox('u4');
    await w.container(sb, 'app', 0, 'exited');
    const newest = await w.container(sb, 'app', 1, 'exited');
    await w.gc.garbageCollect();
    assert.deepEqual([...w.cri.containers.keys()], [newest.id]);
  });

  it('a container in an unknown state is stopped before it is removed', async () => {
    const w = world();
    const sb = await w.sandbox('gone');
    const c = await w.container(sb, 'app', 0, 'running');
    w.cri.containers.get(c.id)!.status.state = 'CONTAINER_UNKNOWN';
    w.cri.calls.length = 0;
    await w.gc.garbageCollect();
    const writes = w.cri.calls.filter((x) => ['stopContainer', 'removeContainer'].includes(x.method)).map((x) => `${x.method} ${x.args[0]}`);
    assert.deepEqual(writes, [`stopContainer ${c.id}`, `removeContainer ${c.id}`]);
  });

  it('a log path outside --pod-logs-dir is never removed on the runtime\'s word', async () => {
    const w = world();
    const elsewhere = mkdtempSync(path.join(tmpdir(), 'mk-gc-elsewhere-'));
    tempDirs.push(elsewhere);
    const sb = await w.sandbox('gone', 0, { logsUnder: elsewhere });
    const c = await w.container(sb, 'app', 0, 'exited');
    const r = await w.gc.garbageCollect();
    assert.deepEqual(r.containers, [c.id]);
    assert.deepEqual(r.logFiles, []);
    assert.equal(existsSync(c.log), true);
  });

  it('a failed removal is counted, the rest goes on, and the next period retries it', async () => {
    const w = world();
    const sb = await w.sandbox('gone');
    const a = await w.container(sb, 'a', 0, 'exited');
    const b = await w.container(sb, 'b', 0, 'exited');
    await w.cri.stopPodSandbox(sb.id);
    w.cri.failNext('removeContainer', criError(Status.UNAVAILABLE, 'RemoveContainer', 'connection refused'));
    const first = await w.gc.garbageCollect();
    assert.equal(first.errors, 1);
    assert.equal(first.containers.length, 1);
    assert.deepEqual(first.sandboxes, [], 'the sandbox still holds the container that failed');
    assert.equal(existsSync(sb.logDirectory), true, 'logs stay while a sandbox is left');
    const second = await w.gc.garbageCollect();
    assert.equal(second.errors, 0);
    assert.deepEqual([...first.containers, ...second.containers].sort(), [a.id, b.id].sort());
    assert.deepEqual(second.sandboxes, [sb.id]);
    assert.equal(existsSync(sb.logDirectory), false);
  });

  it('a failed listing removes nothing and is reported, not thrown', async () => {
    const w = world();
    const sb = await w.sandbox('gone');
    await w.container(sb, 'app', 0, 'exited');
    w.cri.failNext('listContainers', criError(Status.UNAVAILABLE, 'ListContainers', 'connection refused'));
    const r = await w.gc.garbageCollect();
    assert.equal(r.errors, 1);
    assert.equal(w.cri.containers.size, 1);
  });

  it('a collection never overlaps itself: a call while one runs shares it', async () => {
    const w = world();
    const sb = await w.sandbox('gone');
    await w.container(sb, 'app', 0, 'exited');
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const realRemove = w.cri.removeContainer;
    w.cri.removeContainer = async (...args) => {
      await gate;
      return realRemove(...args);
    };
    const first = w.gc.garbageCollect();
    await new Promise((r) => setTimeout(r, 10));
    const second = w.gc.garbageCollect();
    assert.equal(second, first);
    release();
    await first;
    assert.equal(w.cri.calls.filter((c) => c.method === 'removeContainer').length, 1);
    assert.notEqual(w.gc.garbageCollect(), first, 'once done, the next call starts a new collection');
  });

  it('a missing --pod-logs-dir is not an error', async () => {
    const w = world();
    const r = await w.gc.garbageCollect();
    assert.equal(r.errors, 0);
  });
});
