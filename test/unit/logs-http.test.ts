// GET /containerLogs on the read-only server over real HTTP: the log, its errors, and a follower across a restart.
import type { V1Pod } from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import type { ContainerLogsView } from '../../src/logs/locate.js';
import type { ObservedContainer, ObservedPod } from '../../src/runtime/types.js';
import { startReadOnlyServer, type ReadOnlyServer } from '../../src/server/read-only-server.js';
import { FakePodView, runningPod } from '../support/fake-pod-view.js';

const dir = mkdtempSync(path.join(tmpdir(), 'mk-logs-http-'));
const logDir = path.join(dir, 'default_web-node1_uid-web-node1', 'main');
mkdirSync(logDir, { recursive: true });
const logFile = (n: number) => path.join(logDir, `${n}.log`);
const line = (stream: string, text: string) => `2024-05-01T10:00:00.5Z ${stream} F ${text}\n`;

function container(id: string, restartCount: number, state: ObservedContainer['state']): ObservedContainer {
  return {
    id, name: 'main', sandboxId: 's', restartCount, state, createdAt: restartCount + 1, startedAt: 1, finishedAt: 0, exitCode: 1,
    reason: '', message: '', image: 'busybox', imageRef: '', hash: '', logPath: logFile(restartCount), annotations: {},
  };
}

/** web-node1: instance c0 exited, c1 running (restartCount 1). */
function webPod(): V1Pod {
  const p = runningPod('web-node1');
  p.status!.containerStatuses![0] = {
    ...p.status!.containerStatuses![0]!,
    containerID: 'containerd://c1',
    restartCount: 1,
    lastState: { terminated: { exitCode: 1, containerID: 'containerd://c0' } },
  };
  return p;
}

const pods = new FakePodView([webPod()]);
let observed: ObservedContainer[] = [container('c1', 1, 'running'), container('c0', 0, 'exited')];
const view: ContainerLogsView = {
  pods: () => pods.pods(),
  observed: (uid): ObservedPod | undefined =>
    uid === 'uid-web-node1' ? { uid, name: 'web-node1', namespace: 'default', sandboxes: [], containers: observed, timestamp: 0 } : undefined,
  podLogsDir: dir,
  followPollMs: 20,
};

function get(port: number, p: string, onData?: (all: string) => void): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: p, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => {
        body += c;
        onData?.(body);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
      res.on('error', reject);
    }).on('error', reject);
  });
}

describe('GET /containerLogs', () => {
  let server: ReadOnlyServer;
  before(async () => {
    writeFileSync(logFile(0), line('stdout', 'first life') + line('stderr', 'crashed'));
    writeFileSync(logFile(1), line('stdout', 'a') + line('stderr', 'b') + line('stdout', 'c'));
    server = await startReadOnlyServer({ port: 0, anyPort: true, source: pods, logger: pino({ level: 'silent' }), containerLogs: view });
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the current instance, both streams, as plain text', async () => {
    const res = await get(server.port, '/containerLogs/default/web-node1/main');
    assert.equal(res.status, 200);
    assert.match(res.type, /^text\/plain/);
    assert.equal(res.body, 'a\nb\nc\n');
  });

  test('previous, tailLines, timestamps, limitBytes', async () => {
    assert.equal((await get(server.port, '/containerLogs/default/web-node1/main?previous=true')).body, 'first life\ncrashed\n');
    assert.equal((await get(server.port, '/containerLogs/default/web-node1/main?tailLines=1')).body, 'c\n');
    assert.equal((await get(server.port, '/containerLogs/default/web-node1/main?tailLines=1&timestamps=true')).body, '2024-05-01T10:00:00.500000000Z c\n');
    assert.equal((await get(server.port, '/containerLogs/default/web-node1/main?limitBytes=3')).body, 'a\nb');
  });

  const errors: { name: string; path: string; status: number; message: string }[] = [
    { name: 'an unknown pod', path: '/containerLogs/default/nope/main', status: 404, message: 'pod "nope" does not exist' },
    { name: 'an unknown container', path: '/containerLogs/default/web-node1/side', status: 404, message: 'container "side" not found in pod "web-node1"' },
    { name: 'a missing container name', path: '/containerLogs/default/web-node1/', status: 400, message: 'Missing container name.' },
    { name: 'an invalid option', path: '/containerLogs/default/web-node1/main?tailLines=-2', status: 422, message: 'tailLines: Invalid value: must be greater than or equal to 0' },
  ];
  for (const c of errors) {
    test(`${c.status} for ${c.name}, as a metav1.Status`, async () => {
      const res = await get(server.port, c.path);
      assert.equal(res.status, c.status);
      const body = JSON.parse(res.body);
      assert.equal(body.kind, 'Status');
      assert.equal(body.message, c.message);
    });
  }

  test('no path traversal: encoded or raw .. steps in any part never read a file outside the container\'s log; long names give a bounded error', async () => {
    // A file beside the pod log directories, and one a step above --pod-logs-dir: neither may come back.
    writeFileSync(path.join(dir, 'secret.log'), line('stdout', 'TOPSECRET'));
    writeFileSync(path.join(path.dirname(dir), `${path.basename(dir)}-secret.log`), line('stdout', 'TOPSECRET'));
    const tries = [
      '/containerLogs/default/web-node1/..%2F..%2Fsecret.log',
      '/containerLogs/default/web-node1/..%2Fmain%2F..%2F..%2Fsecret.log',
      '/containerLogs/default/..%2F..%2Fsecret.log/main',
      '/containerLogs/..%2F..%2F..%2F/web-node1/main?previous=true',
      '/containerLogs/default/web-node1/main/../../../secret.log',
      '/containerLogs/default/web-node1/%2e%2e%2f%2e%2e%2fsecret.log',
      `/containerLogs/default/web-node1/..%2F..%2F..%2F${path.basename(dir)}-secret.log`,
    ];
    for (const p of tries) {
      const res = await get(server.port, p);
      assert.ok(res.status >= 400, `${p}: ${res.status}`);
      assert.doesNotMatch(res.body, /TOPSECRET/, p);
    }
    const long = await get(server.port, `/containerLogs/default/web-node1/${'x'.repeat(8_000)}`);
    assert.equal(long.status, 404);
    assert.ok(long.body.length < 2048, `error body of ${long.body.length} bytes`);
  });

  test('400 for previous when there was no earlier instance', async () => {
    const only = runningPod('solo');
    pods.set([webPod(), only]);
    const res = await get(server.port, '/containerLogs/default/solo/main?previous=true');
    assert.equal(res.status, 400);
    assert.equal(JSON.parse(res.body).message, 'previous terminated container "main" in pod "solo" not found');
    pods.set([webPod()]);
  });

  test('a follower gets new lines, moves on to the next instance after a restart, and ends with the pod', async () => {
    let seen = '';
    const following = get(server.port, '/containerLogs/default/web-node1/main?follow=true&tailLines=1', (all) => (seen = all));
    const until = async (what: string, check: () => boolean) => {
      for (let i = 0; i < 300 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
      assert.ok(check(), `timed out waiting for ${what}; got ${JSON.stringify(seen)}`);
    };
    await until('the tail', () => seen === 'c\n');
    appendFileSync(logFile(1), line('stdout', 'd'));
    await until('the appended line', () => seen === 'c\nd\n');
    // The container exits and the kubelet starts instance 2.
    observed = [container('c1', 1, 'exited'), container('c0', 0, 'exited')];
    await new Promise((r) => setTimeout(r, 100));
    writeFileSync(logFile(2), line('stdout', 'second life'));
    observed = [container('c2', 2, 'running'), ...observed];
    await until('the next instance', () => seen === 'c\nd\nsecond life\n');
    // The pod goes away: the follower ends.
    observed = [container('c2', 2, 'exited'), ...observed.slice(1)];
    pods.set([]);
    const res = await following;
    assert.equal(res.body, 'c\nd\nsecond life\n');
  });
});
