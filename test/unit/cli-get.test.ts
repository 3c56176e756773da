// `get pods` through commander against a real read-only server: table, -o json|yaml|name, filters, errors, -w.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { Command, CommanderError } from 'commander';
import pino from 'pino';
import YAML from 'yaml';
import { registerGetCommand } from '../../src/cli/get.js';
import { startReadOnlyServer, type ReadOnlyServer } from '../../src/server/read-only-server.js';
import { FakePodView, runningPod } from '../support/fake-pod-view.js';

const NOW = Date.parse('2024-05-01T10:00:00Z');
const logger = pino({ level: 'silent' });

/** Runs `mini-kubelet <args>` in-process; stdout, stderr and commander's own error output captured. */
async function run(args: string[], signal?: AbortSignal, onOut?: (all: string) => void) {
  let out = '';
  let err = '';
  const program = new Command('mini-kubelet')
    .exitOverride()
    .configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (err += s) });
  registerGetCommand(program, {
    out: (s) => {
      out += s;
      onOut?.(out);
    },
    err: (s) => (err += s),
    now: () => NOW,
    signal,
  });
  let error: CommanderError | undefined;
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    error = e;
  }
  return { out, err, error };
}

const created = (s: number) => new Date(NOW - s * 1000);

describe('get pods', () => {
  const view = new FakePodView([
    runningPod('web', { created: created(5), ip: '10.88.0.2' }),
    runningPod('coredns', { namespace: 'kube-system', created: created(3 * 86400), ip: '10.88.0.3' }),
  ]);
  let server: ReadOnlyServer;
  let url: string;
  before(async () => {
    server = await startReadOnlyServer({ port: 0, anyPort: true, source: view, logger });
    url = `http://127.0.0.1:${server.port}`;
  });
  after(() => server.close());

  test('prints a kubectl-like table of every namespace by default', async () => {
    const r = await run(['get', 'pods', '--server', url]);
    assert.equal(r.error, undefined);
    assert.equal(
      r.out,
      'NAMESPACE     NAME      READY   STATUS    RESTARTS   AGE   IP\n' +
        'default       web       1/1     Running   0          5s    10.88.0.2\n' +
        'kube-system   coredns   1/1     Running   0          3d    10.88.0.3\n',
    );
    assert.equal(r.err, '');
  });

  test('-n keeps one namespace and drops the NAMESPACE column; -A wins over -n', async () => {
    const r = await run(['get', 'po', '-n', 'kube-system', '--server', url]);
    assert.equal(r.out, 'NAME      READY   STATUS    RESTARTS   AGE   IP\ncoredns   1/1     Running   0          3d    10.88.0.3\n');
    const all = await run(['get', 'pods', '-n', 'kube-system', '-A', '--server', url]);
    assert.match(all.out, /^NAMESPACE/);
    assert.match(all.out, /web/);
  });

  test('an empty namespace says so on stderr', async () => {
    const r = await run(['get', 'pods', '-n', 'nothing-here', '--server', url]);
    assert.equal(r.out, '');
    assert.equal(r.err, 'No resources found in nothing-here namespace.\n');
  });

  test('-o wide adds the node columns', async () => {
    const r = await run(['get', 'pods', 'web', '-o', 'wide', '--server', url]);
    assert.match(r.out.split('\n')[0]!, /IP +NODE +NOMINATED NODE +READINESS GATES$/);
    assert.match(r.out.split('\n')[1]!, /10\.88\.0\.2 +node-1 +<none> +<none>$/);
  });

  test('-o json prints the PodList, or the one pod asked for', async () => {
    const list = JSON.parse((await run(['get', 'pods', '-o', 'json', '--server', url])).out);
    assert.equal(list.kind, 'PodList');
    assert.deepEqual(list.items.map((p: any) => p.metadata.name), ['web', 'coredns']);
    const one = await run(['get', 'pod', 'web', '-o', 'json', '--server', url]);
    assert.match(one.out, /^\{\n {4}"apiVersion": "v1",/, 'kubectl indents JSON by four spaces');
    const pod = JSON.parse(one.out);
    assert.equal(pod.kind, 'Pod');
    assert.equal(pod.metadata.creationTimestamp, '2024-05-01T09:59:55Z');
  });

  test('-o yaml prints the same object as YAML', async () => {
    const r = await run(['get', 'pods', 'coredns', '-o', 'yaml', '--server', url]);
    const pod = YAML.parse(r.out);
    assert.equal(pod.metadata.namespace, 'kube-system');
    assert.equal(pod.status.podIP, '10.88.0.3');
  });

  test('-o name prints pod/NAME lines', async () => {
    assert.equal((await run(['get', 'pods', '-o', 'name', '--server', url])).out, 'pod/web\npod/coredns\n');
  });

  test('MINI_KUBELET_SERVER is used when --server is not given', async () => {
    const before = process.env.MINI_KUBELET_SERVER;
    process.env.MINI_KUBELET_SERVER = url;
    try {
      assert.equal((await run(['get', 'pods', '-o', 'name'])).out, 'pod/web\npod/coredns\n');
    } finally {
      if (before === undefined) delete process.env.MINI_KUBELET_SERVER;
      else process.env.MINI_KUBELET_SERVER = before;
    }
  });

  test('rejected manifests follow the table on stderr', async () => {
    view.rejectedManifests = [{ source: 'file', path: '/etc/kubernetes/manifests/bad.yaml', podName: 'bad', message: 'spec.containers: Required value' }];
    try {
      const r = await run(['get', 'pods', '--server', url]);
      assert.match(r.out, /web/);
      assert.equal(r.err, 'Rejected manifests:\n  /etc/kubernetes/manifests/bad.yaml (file) pod "bad": spec.containers: Required value\n');
    } finally {
      view.rejectedManifests = [];
    }
  });

  test('a missing pod is NotFound, exit code 1', async () => {
    const r = await run(['get', 'pods', 'nope', '--server', url]);
    assert.equal(r.error?.exitCode, 1);
    assert.equal(r.err, 'Error from server (NotFound): pods "nope" not found\n');
    assert.equal(r.out, '');
  });

  test('-w on a missing pod is NotFound too, and does not hang on the open watch', async () => {
    const r = await run(['get', 'pods', 'nope', '-w', '--server', url]);
    assert.equal(r.error?.exitCode, 1);
    assert.equal(r.err, 'Error from server (NotFound): pods "nope" not found\n');
  });

  test('an unknown resource type is refused', async () => {
    const r = await run(['get', 'deployments', '--server', url]);
    assert.equal(r.error?.exitCode, 1);
    assert.match(r.err, /doesn't have a resource type "deployments"/);
  });

  test('-o with an unknown format is refused by the option parser', async () => {
    const r = await run(['get', 'pods', '-o', 'table', '--server', url]);
    assert.equal(r.error?.exitCode, 1);
    assert.match(r.err, /Allowed choices are json, yaml, wide, name/);
  });

  test('-w prints the table, the rejected block, then a row per change, until stopped', async () => {
    view.rejectedManifests = [{ source: 'file', path: '/m/x.yaml', message: 'bad yaml' }];
    const stop = new AbortController();
    let sawTable: () => void;
    const tablePrinted = new Promise<void>((r) => (sawTable = r));
    let sawRow: () => void;
    const rowPrinted = new Promise<void>((r) => (sawRow = r));
    const watching = run(['get', 'pods', '-n', 'default', '-w', '--server', url], stop.signal, (all) => {
      const lines = all.split('\n').filter(Boolean).length;
      if (lines === 2) sawTable();
      if (lines === 3) sawRow();
    });
    try {
      await tablePrinted;
      const crashing = runningPod('web', { created: created(5), ip: '10.88.0.2' });
      crashing.status!.containerStatuses![0] = {
        ...crashing.status!.containerStatuses![0]!, ready: false, restartCount: 1,
        state: { waiting: { reason: 'CrashLoopBackOff' } },
        lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: created(2) } },
      };
      view.set([crashing, ...view.pods().slice(1)]);
      await rowPrinted;
    } finally {
      stop.abort();
    }
    const r = await watching;
    view.rejectedManifests = [];
    assert.equal(r.error, undefined);
    assert.equal(
      r.out,
      'NAME   READY   STATUS    RESTARTS   AGE   IP\n' +
        'web    1/1     Running   0          5s    10.88.0.2\n' +
        // Widths only grow: the longer STATUS pushes this row's later columns right, as in kubectl.
        'web    0/1     CrashLoopBackOff   1 (2s ago)   5s    10.88.0.2\n',
    );
    assert.equal(r.err, 'Rejected manifests:\n  /m/x.yaml (file): bad yaml\n');
  });
});

test('an agent that is not running gives one clear line and exit code 1', async () => {
  const closed = net.createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
  const port = (closed.address() as net.AddressInfo).port;
  await new Promise((r) => closed.close(r));
  const r = await run(['get', 'pods', '--server', `http://127.0.0.1:${port}`]);
  assert.equal(r.error?.exitCode, 1);
  assert.equal(r.err, `error: cannot reach mini-kubelet at http://127.0.0.1:${port}: is it running? (--read-only-port)\n`);
});
