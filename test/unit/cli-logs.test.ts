// `logs` through commander against a real read-only server: pod by name or prefix, container defaulting, flags, kubectl's errors.
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Command, CommanderError } from 'commander';
import pino from 'pino';
import { registerLogsCommand } from '../../src/cli/logs.js';
import type { ContainerLogsView } from '../../src/logs/locate.js';
import type { ObservedContainer } from '../../src/runtime/types.js';
import { startReadOnlyServer, type ReadOnlyServer } from '../../src/server/read-only-server.js';
import { FakePodView, runningPod } from '../support/fake-pod-view.js';

const dir = mkdtempSync(path.join(tmpdir(), 'mk-cli-logs-'));
const line = (text: string) => `2024-05-01T10:00:00.25Z stdout F ${text}\n`;

/** A pod whose containers each run as instance 0 with a log of the given lines. */
function podWithLogs(name: string, logs: Record<string, string[]>, opts: { init?: string[]; annotations?: Record<string, string>; namespace?: string } = {}) {
  const ns = opts.namespace ?? 'default';
  const pod = runningPod(name, { namespace: ns, uid: `uid-${ns}-${name}` });
  const names = Object.keys(logs);
  pod.spec!.containers = names.map((c) => ({ name: c, image: 'busybox' }));
  if (opts.init) pod.spec!.initContainers = opts.init.map((c) => ({ name: c, image: 'busybox' }));
  if (opts.annotations) pod.metadata!.annotations = opts.annotations;
  pod.status!.containerStatuses = names.map((c) => ({
    name: c, image: 'busybox', imageID: '', ready: true, restartCount: 0, state: { running: {} }, containerID: `containerd://${name}-${c}`,
  }));
  const containers: ObservedContainer[] = names.map((c) => {
    const logPath = path.join(dir, `${ns}_${name}-${c}.log`);
    writeFileSync(logPath, logs[c]!.map(line).join(''));
    return {
      id: `${name}-${c}`, name: c, sandboxId: 's', restartCount: 0, state: 'running', createdAt: 1, startedAt: 1, finishedAt: 0,
      exitCode: 0, reason: '', message: '', image: 'busybox', imageRef: '', hash: '', logPath, annotations: {},
    };
  });
  return { pod, containers };
}

const fixtures = [
  podWithLogs('web-node1', { main: ['hello', 'world'] }),
  podWithLogs('multi-node1', { a: ['from a'], b: ['from b'] }, { init: ['setup'] }),
  podWithLogs('annotated-node1', { a: ['from a'], b: ['from b'] }, { annotations: { 'kubectl.kubernetes.io/default-container': 'b' } }),
  podWithLogs('dup-one', { main: ['1'] }),
  podWithLogs('dup-two', { main: ['2'] }),
  podWithLogs('web-node1', { main: ['system'] }, { namespace: 'kube-system' }),
];
const pods = new FakePodView(fixtures.map((f) => f.pod));
const view: ContainerLogsView = {
  pods: () => pods.pods(),
  observed: (uid) => {
    const f = fixtures.find((x) => x.pod.metadata!.uid === uid);
    return f && { uid, name: f.pod.metadata!.name!, namespace: f.pod.metadata!.namespace!, sandboxes: [], containers: f.containers, timestamp: 0 };
  },
  podLogsDir: dir,
  followPollMs: 20,
};

async function run(args: string[], signal?: AbortSignal, onOut?: (all: string) => void) {
  let out = '';
  let err = '';
  const program = new Command('mini-kubelet').exitOverride().configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (err += s) });
  registerLogsCommand(program, {
    out: (chunk) => {
      out += Buffer.from(chunk).toString();
      onOut?.(out);
    },
    signal,
  });
  let error: CommanderError | undefined;
  try {
    await program.parseAsync(['logs', ...args, '--server', url], { from: 'user' });
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    error = e;
  }
  return { out, err, error };
}

let server: ReadOnlyServer;
let url: string;
before(async () => {
  server = await startReadOnlyServer({ port: 0, anyPort: true, source: pods, logger: pino({ level: 'silent' }), containerLogs: view });
  url = `http://127.0.0.1:${server.port}`;
});
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('mini-kubelet logs', () => {
  const cases: { name: string; args: string[]; out?: string; err?: RegExp }[] = [
    { name: 'the full name, one container, no -c', args: ['web-node1'], out: 'hello\nworld\n' },
    { name: 'a unique prefix (the static pod without its node suffix)', args: ['web'], out: 'hello\nworld\n' },
    { name: 'the TYPE/NAME form', args: ['pod/web-node1'], out: 'hello\nworld\n' },
    { name: '-c picks a container', args: ['multi', '-c', 'b'], out: 'from b\n' },
    { name: 'an inline container argument', args: ['multi', 'a'], out: 'from a\n' },
    { name: 'the default-container annotation', args: ['annotated'], out: 'from b\n' },
    { name: '--tail and --timestamps', args: ['web', '--tail', '1', '--timestamps'], out: '2024-05-01T10:00:00.250000000Z world\n' },
    { name: '--limit-bytes', args: ['web', '--limit-bytes', '7'], out: 'hello\nw' },
    { name: '-n picks the namespace', args: ['web-node1', '-n', 'kube-system'], out: 'system\n' },
    {
      name: 'several containers and no -c',
      args: ['multi-node1'],
      err: /^error: a container name must be specified for pod multi-node1, choose one of: \[a b\] or one of the init containers: \[setup\]$/,
    },
    { name: 'a container the pod does not have', args: ['web', '-c', 'nope'], err: /^error: container nope is not valid for pod web-node1$/ },
    { name: 'no such pod', args: ['nothing'], err: /^Error from server \(NotFound\): pods "nothing" not found$/ },
    { name: 'an ambiguous prefix', args: ['dup'], err: /^error: pod name "dup" is ambiguous in namespace "default": it matches dup-one, dup-two$/ },
    {
      name: '--previous with no earlier instance: the agent says why',
      args: ['web', '-p'],
      err: /^Error from server \(BadRequest\): previous terminated container "main" in pod "web-node1" not found$/,
    },
    { name: '--since and --since-time together', args: ['web', '--since', '1m', '--since-time', '2024-05-01T10:00:00Z'], err: /at most one of/ },
    { name: 'a negative --tail other than -1', args: ['web', '--tail', '-3'], err: /want an integer >= -1/ },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const res = await run(c.args);
      if (c.out !== undefined) {
        assert.equal(res.error, undefined, res.err);
        assert.equal(res.out, c.out);
      } else {
        assert.equal(res.error?.exitCode, 1);
        assert.match(res.err.trim(), c.err!);
      }
    });
  }

  test('an agent that is not there', async () => {
    const program = new Command('mini-kubelet').exitOverride().configureOutput({ writeErr: () => {} });
    let message = '';
    registerLogsCommand(program, { out: () => {} });
    await program.parseAsync(['logs', 'web', '--server', 'http://127.0.0.1:1'], { from: 'user' }).catch((e: Error) => (message = e.message));
    assert.match(message, /cannot reach mini-kubelet at http:\/\/127\.0\.0\.1:1/);
  });

  test('-f streams new lines until stopped', async () => {
    const ac = new AbortController();
    const running = run(['web', '-f'], ac.signal, (all) => {
      if (all === 'hello\nworld\n') appendFileSync(fixtures[0]!.containers[0]!.logPath, line('more'));
      if (all.endsWith('more\n')) ac.abort();
    });
    const res = await running;
    assert.equal(res.error, undefined, res.err);
    assert.equal(res.out, 'hello\nworld\nmore\n');
  });
});
