// Tests for the HTTP pod source (--manifest-url) against a local HTTP server: decoding, kept pods on failure, headers, UIDs, log throttling.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { V1Pod } from '@kubernetes/client-node';
import { headerPairs } from '../../src/cli/flags.js';
import { CONFIG_PATH_ANNOTATION, CONFIG_SOURCE_ANNOTATION } from '../../src/config/annotations.js';
import { createHttpSource } from '../../src/config/http-source.js';
import { httpPodUID, parseHttpPods } from '../../src/config/http-pods.js';
import { parseManifest } from '../../src/config/manifest.js';
import type { SourceLogger, SourceSnapshot } from '../../src/config/types.js';

const podYaml = (name: string, image = 'busybox:1.36') =>
  `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\nspec:\n  containers:\n  - name: app\n    image: ${image}\n`;
const podJSON = (name: string, image = 'busybox:1.36') =>
  ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'app', image }] } });
const podList = (...items: object[]) => JSON.stringify({ apiVersion: 'v1', kind: 'PodList', items });

interface Line { level: string; msg: string; err?: string }

function recordingLogger(): SourceLogger & { lines: Line[] } {
  const lines: Line[] = [];
  const at = (level: string) => (o: unknown, msg?: string) => lines.push({ level, msg: msg ?? '', err: (o as { err?: string }).err });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** A server answering every GET with `reply` (changeable), recording each request's headers. */
async function harness(reply: { status: number; body: string }, opts: { headers?: Array<[string, string]> } = {}) {
  const requests: IncomingHttpHeaders[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(req.headers);
    res.writeHead(reply.status, { 'content-type': 'application/yaml' });
    res.end(reply.body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/pods`;
  const logger = recordingLogger();
  const snapshots: SourceSnapshot[] = [];
  const source = createHttpSource({ url, nodeName: 'node1', checkFrequencyMs: 20, headers: opts.headers, logger });
  await source.start((s) => snapshots.push(s));
  /** Waits until the server has answered `n` more GETs (and the source has handled them). */
  async function polls(n: number): Promise<void> {
    const target = requests.length + n;
    const deadline = Date.now() + 5000;
    while (requests.length < target + 1) {
      if (Date.now() > deadline) assert.fail(`only ${requests.length} of ${target} GETs`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }
  const names = (s: SourceSnapshot | undefined) => s?.pods.map((p) => p.metadata!.name);
  const close = async () => {
    await source.stop();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  };
  return { url, reply, requests, snapshots, logger, polls, names, close };
}

test('http source: a body becomes the source set', async (t) => {
  const cases: Array<{ name: string; body: string; want: string[] }> = [
    { name: 'single pod YAML', body: podYaml('web'), want: ['web-node1'] },
    { name: 'single pod JSON', body: JSON.stringify(podJSON('api')), want: ['api-node1'] },
    { name: 'PodList, items without kind', body: podList({ metadata: { name: 'a' }, spec: podJSON('a').spec }, podJSON('b')), want: ['a-node1', 'b-node1'] },
    { name: 'empty PodList', body: podList(), want: [] },
  ];
  for (const c of cases) {
    await t.test(c.name, async () => {
      const h = await harness({ status: 200, body: c.body });
      try {
        assert.equal(h.snapshots.length, 1, 'start() resolves after the first GET');
        const s = h.snapshots[0]!;
        assert.equal(s.source, 'http');
        assert.deepEqual(h.names(s), c.want);
        assert.deepEqual(s.errors, []);
        for (const pod of s.pods) {
          assert.equal(pod.metadata!.annotations![CONFIG_SOURCE_ANNOTATION], 'http');
          assert.equal(pod.metadata!.namespace, 'default');
          assert.equal(pod.spec!.nodeName, 'node1');
          assert.ok(!pod.spec!.tolerations?.length, 'no NoExecute toleration: the kubelet adds it to file pods only');
          assert.match(pod.metadata!.annotations![CONFIG_PATH_ANNOTATION]!, new RegExp(`^${h.url}`));
        }
      } finally {
        await h.close();
      }
    });
  }
});

test('http source: failures keep the old pods; an empty body empties the set; an unchanged body emits nothing', async (t) => {
  const cases: Array<{ name: string; status: number; body: string; pods: string[] | 'kept'; err: (url: string) => RegExp | undefined; errorsShown: boolean }> = [
    { name: 'unchanged body', status: 200, body: podYaml('web'), pods: 'kept', err: () => undefined, errorsShown: false },
    { name: '404 keeps old pods', status: 404, body: 'not here', pods: 'kept', err: (u) => new RegExp(`^${u}: 404 Not Found$`), errorsShown: false },
    { name: '500 keeps old pods', status: 500, body: '', pods: 'kept', err: (u) => new RegExp(`^${u}: 500 Internal Server Error$`), errorsShown: false },
    { name: 'empty body is an empty set', status: 200, body: '', pods: [], err: (u) => new RegExp(`^zero-length data received from ${u}$`), errorsShown: false },
    {
      name: 'garbage keeps old pods and says why',
      status: 200,
      body: 'hello: [world',
      pods: 'kept',
      err: (u) => new RegExp(`^${u}: received 'hello: \\[world', but couldn't parse as single \\(.+\\) or multiple pods \\(.+\\)\\.$`),
      errorsShown: true,
    },
    {
      name: 'not a Pod: kind is named in both errors',
      status: 200,
      body: 'apiVersion: apps/v1\nkind: Deployment\n',
      pods: 'kept',
      err: () => /single \(kind: Unsupported value: "Deployment": supported values: "Pod"\) or multiple pods \(kind: Unsupported value: "Deployment": supported values: "PodList"\)/,
      errorsShown: true,
    },
    {
      name: 'an invalid pod refuses the whole list',
      status: 200,
      body: podList(podJSON('ok', 'busybox:2'), { metadata: { name: 'Bad_Name' }, spec: podJSON('x').spec }),
      pods: 'kept',
      err: () => /^invalid pod: items\[1\]: metadata\.name: Invalid value/,
      errorsShown: true,
    },
  ];
  for (const c of cases) {
    await t.test(c.name, async () => {
      const h = await harness({ status: 200, body: podYaml('web') });
      try {
        const first = h.snapshots[0]!;
        Object.assign(h.reply, { status: c.status, body: c.body });
        await h.polls(3);
        const want = c.err(h.url);
        const failures = h.logger.lines.filter((l) => l.msg.startsWith('Failed to read pods from URL'));
        if (want) assert.match(failures[0]?.err ?? '', want);
        else assert.deepEqual(failures, []);
        const last = h.snapshots.at(-1)!;
        if (c.pods === 'kept') {
          assert.deepEqual(h.names(last), ['web-node1']);
          assert.equal(last.pods[0]!.metadata!.uid, first.pods[0]!.metadata!.uid);
        } else {
          assert.deepEqual(h.names(last), c.pods);
        }
        // Only a change is sent: the empty set once, a refusal once (the kept pods beside its errors).
        assert.equal(h.snapshots.length, c.pods !== 'kept' || c.errorsShown ? 2 : 1);
        assert.equal(last.errors.length > 0, c.errorsShown);
        if (c.errorsShown) assert.equal(last.errors[0]!.path, h.url);
        // Recovery: the pod served again comes back (even after an empty body) and errors clear.
        Object.assign(h.reply, { status: 200, body: podYaml('web') });
        await h.polls(2);
        assert.deepEqual(h.names(h.snapshots.at(-1)), ['web-node1']);
        assert.deepEqual(h.snapshots.at(-1)!.errors, []);
      } finally {
        await h.close();
      }
    });
  }
});

test('http source: a URL never read leaves the source unseen (no snapshot), then the first good body is sent', async () => {
  const h = await harness({ status: 200, body: podList(podJSON('ok'), { metadata: { name: 'x' }, spec: {} }) });
  try {
    await h.polls(2);
    assert.equal(h.snapshots.length, 0);
    h.reply.body = podYaml('ok');
    await h.polls(2);
    assert.deepEqual(h.names(h.snapshots.at(-1)), ['ok-node1']);
  } finally {
    await h.close();
  }
});

test('http source: the --manifest-url-header pairs are sent, a repeated name with every value', async () => {
  const headers = headerPairs('b:beautiful', headerPairs('a:hello,b:again,c:world'));
  const h = await harness({ status: 200, body: podYaml('web') }, { headers });
  try {
    const req = h.requests[0]!;
    assert.equal(req['a'], 'hello');
    assert.equal(req['b'], 'again, beautiful');
    assert.equal(req['c'], 'world');
  } finally {
    await h.close();
  }
});

test('headerPairs: the kubelet colon-separated multimap flag', () => {
  const cases: Array<{ name: string; values: string[]; want?: Array<[string, string]>; err?: RegExp }> = [
    { name: 'several pairs', values: ['a:hello,b:again,c:world'], want: [['a', 'hello'], ['b', 'again'], ['c', 'world']] },
    { name: 'repeated flag adds', values: ['a:hello,b:again', 'b:beautiful'], want: [['a', 'hello'], ['b', 'again'], ['b', 'beautiful']] },
    { name: 'spaces trimmed, colon in value kept, empty pair skipped', values: [' auth : Bearer x:y,'], want: [['auth', 'Bearer x:y']] },
    { name: 'a blank pair is malformed, as the kubelet says', values: ['a:b, '], err: /malformed pair/ },
    { name: 'empty', values: [''], want: [] },
    { name: 'no colon', values: ['a'], err: /malformed pair, expect string:string/ },
    { name: 'bad name', values: ['a b:c'], err: /./ },
  ];
  for (const c of cases) {
    const run = () => c.values.reduce<Array<[string, string]>>((prev, v) => headerPairs(v, prev), []);
    if (c.err) assert.throws(run, c.err, c.name);
    else assert.deepEqual(run(), c.want, c.name);
  }
});

test('http source: the UID hashes the URL and the pod; stable across polls, not the file UID', async () => {
  const h = await harness({ status: 200, body: podList(podJSON('a'), podJSON('b')) });
  try {
    const uidOf = (s: SourceSnapshot | undefined, name: string) => s?.pods.find((p) => p.metadata!.name === name)?.metadata!.uid;
    const a1 = uidOf(h.snapshots[0], 'a-node1')!;
    // Another pod of the list changes: a new body is read, a's UID stays.
    h.reply.body = podList(podJSON('a'), podJSON('b', 'busybox:2'));
    await h.polls(2);
    assert.equal(h.snapshots.length, 2);
    assert.equal(uidOf(h.snapshots[1], 'a-node1'), a1);
    assert.notEqual(uidOf(h.snapshots[1], 'b-node1'), uidOf(h.snapshots[0], 'b-node1'));
    // The same pod served on its own, at the same URL, is the same pod.
    const single = parseHttpPods(JSON.stringify(podJSON('a')), { url: h.url, nodeName: 'node1' });
    assert.ok('pods' in single);
    assert.equal(single.pods[0]!.metadata!.uid, a1);
    assert.match(a1, /^[0-9a-f]{32}$/);
    // ... and another pod from a file, or from another URL.
    const fromFile = parseManifest(JSON.stringify(podJSON('a')), { path: h.url, nodeName: 'node1' });
    assert.notEqual(fromFile.pods[0]!.metadata!.uid, a1);
    const other = parseHttpPods(JSON.stringify(podJSON('a')), { url: `${h.url}?x`, nodeName: 'node1' });
    assert.ok('pods' in other);
    assert.notEqual(other.pods[0]!.metadata!.uid, a1);
    // A UID the body sets is kept.
    const own = parseHttpPods(JSON.stringify({ ...podJSON('a'), metadata: { name: 'a', uid: 'mine' } }), { url: h.url, nodeName: 'node1' });
    assert.ok('pods' in own);
    assert.equal(own.pods[0]!.metadata!.uid, 'mine');
    assert.equal(httpPodUID(podJSON('a') as V1Pod, h.url), httpPodUID(podJSON('a') as V1Pod, h.url));
  } finally {
    await h.close();
  }
});

test('http source: three failures at warn, one "Dropping verbosity", then debug; recovery said once at info', async () => {
  const h = await harness({ status: 503, body: '' });
  try {
    await h.polls(5);
    const failing = h.logger.lines.filter((l) => l.msg.startsWith('Failed'));
    assert.ok(failing.length >= 6, `${failing.length} failures logged`);
    assert.deepEqual(failing.slice(0, 5).map((l) => [l.level, l.msg]), [
      ['warn', 'Failed to read pods from URL'],
      ['warn', 'Failed to read pods from URL'],
      ['warn', 'Failed to read pods from URL'],
      ['warn', 'Failed to read pods from URL. Dropping verbosity of this message to debug'],
      ['debug', 'Failed to read pods from URL'],
    ]);
    assert.ok(failing.slice(4).every((l) => l.level === 'debug'));
    h.reply.status = 200;
    h.reply.body = podYaml('web');
    await h.polls(3);
    assert.deepEqual(h.logger.lines.filter((l) => l.msg.startsWith('Successfully')).map((l) => [l.level, l.msg]), [['info', 'Successfully read pods from URL.']]);
    // A new run of failures is loud again.
    h.reply.status = 500;
    await h.polls(1);
    assert.equal(h.logger.lines.filter((l) => l.msg.startsWith('Failed')).at(-1)!.level, 'warn');
  } finally {
    await h.close();
  }
});

test('http source: an unreachable URL is a failure in Go wording, and start() still resolves', async () => {
  const logger = recordingLogger();
  const snapshots: SourceSnapshot[] = [];
  // A port nothing listens on: the harness server is closed at once.
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  await new Promise((r) => server.close(r));
  const source = createHttpSource({ url, nodeName: 'node1', checkFrequencyMs: 60_000, logger });
  await source.start((s) => snapshots.push(s));
  await source.stop();
  assert.equal(snapshots.length, 0);
  assert.match(logger.lines.find((l) => l.msg.startsWith('Failed'))!.err!, new RegExp(`^Get "${url}": .*ECONNREFUSED`));
});
