// The read-only server's trace (/pods/{ns}/{name}/trace, list and watch), the runtime view (/runtime/pods) and the live page's files (/ui/), over real HTTP.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { startReadOnlyServer, type ReadOnlyServer } from '../../src/server/read-only-server.js';
import type { PodTraceBody, TraceWatchEvent } from '../../src/server/trace-route.js';
import { TraceStore } from '../../src/trace/store.js';
import { byStart, formatTimeline } from '../../src/cli/format-trace.js';
import { FakePodView, runningPod } from '../support/fake-pod-view.js';

const logger = pino({ level: 'silent' });
const cause = (uid: string, sync: number, step: string) => ({ uid, pod: 'default/web', sync, kind: 'sync' as const, step });
const call = (name: string, start: number, ok = true) => ({ start, durationMs: 12.4, call: name, target: 'web attempt 0', ok, result: ok ? 'id 0123456789abc' : 'rpc error: NotFound' });

describe('trace, runtime view and page on the read-only port', () => {
  const pod = runningPod('web');
  const uid = pod.metadata!.uid!;
  const view = new FakePodView([pod]);
  const traces = new TraceStore();
  let server: ReadOnlyServer;
  let base: string;
  before(async () => {
    server = await startReadOnlyServer({
      port: 0, anyPort: true, source: view, logger, trace: traces,
      runtimePods: () => [{ uid, name: 'web', namespace: 'default', timestamp: 0, sandboxes: [{ id: 'sb1', attempt: 2, state: 'ready', createdAt: 1, ip: '10.0.0.9', ips: ['10.0.0.9'], hostNetwork: false }], containers: [] }],
    });
    base = `http://127.0.0.1:${server.port}`;
  });
  after(() => server.close());

  it('GET /pods/{ns}/{name}/trace: the pod and its calls; 404 for a pod the agent does not have', async () => {
    traces.record(cause(uid, 1, 'create sandbox (attempt 0): no sandbox for the pod yet'), call('RunPodSandbox', 1000));
    const body = (await (await fetch(`${base}/pods/${pod.metadata!.namespace}/${pod.metadata!.name}/trace`)).json()) as PodTraceBody;
    assert.equal(body.kind, 'PodTrace');
    assert.deepEqual(body.pod, { namespace: pod.metadata!.namespace, name: pod.metadata!.name, uid });
    assert.deepEqual(body.items.map((e) => `${e.seq} ${e.call} #${e.sync} ${e.step}`), ['1 RunPodSandbox #1 create sandbox (attempt 0): no sandbox for the pod yet']);
    assert.equal((await fetch(`${base}/pods/default/nope/trace`)).status, 404);
  });

  it('?watch=true: the calls so far, a BOOKMARK, each new call, and GONE when the pod is dropped', async () => {
    const res = await fetch(`${base}/pods/${pod.metadata!.namespace}/${pod.metadata!.name}/trace?watch=true`);
    const reader = res.body!.getReader();
    const events: TraceWatchEvent[] = [];
    let buffered = '';
    const until = async (done: () => boolean) => {
      while (!done()) {
        const { value, done: end } = await reader.read();
        if (end) return;
        buffered += new TextDecoder().decode(value);
        let nl;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          events.push(JSON.parse(buffered.slice(0, nl)) as TraceWatchEvent);
          buffered = buffered.slice(nl + 1);
        }
      }
    };
    await until(() => events.some((e) => e.type === 'BOOKMARK'));
    traces.record(cause(uid, 2, 'start container web: not started yet'), call('CreateContainer', 2000));
    await until(() => events.length >= 3);
    traces.forget(uid);
    await until(() => events.some((e) => e.type === 'GONE'));
    assert.deepEqual(events.map((e) => (e.type === 'CALL' ? `CALL ${e.entry.call}` : e.type)), ['CALL RunPodSandbox', 'BOOKMARK', 'CALL CreateContainer', 'GONE']);
  });

  it('GET /runtime/pods: each pod as the runtime has it, without annotations or paths', async () => {
    const body = (await (await fetch(`${base}/runtime/pods`)).json()) as { items: { sandboxes: object[] }[] };
    assert.deepEqual(body.items[0]!.sandboxes, [{ id: 'sb1', attempt: 2, state: 'ready', ip: '10.0.0.9', createdAt: 1 }]);
  });

  it('GET /ui/: the page and its files under a CSP that allows no inline script and no other host; /ui redirects; other names 404', async () => {
    const page = await fetch(`${base}/ui/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type')!, /^text\/html/);
    assert.match(page.headers.get('content-security-policy')!, /script-src 'self'/);
    const html = await page.text();
    assert.match(html, /<script src="app.js" defer><\/script>/);
    assert.doesNotMatch(html, /<script>/, 'no inline script');
    for (const [file, type] of [['app.js', /^text\/javascript/], ['style.css', /^text\/css/]] as const) {
      const res = await fetch(`${base}/ui/${file}`);
      assert.equal(res.status, 200, file);
      assert.match(res.headers.get('content-type')!, type);
    }
    const js = await (await fetch(`${base}/ui/app.js`)).text();
    assert.doesNotMatch(js, /innerHTML|insertAdjacentHTML|document\.write/, 'the page never parses text as markup');
    const redirect = await fetch(`${base}/ui`, { redirect: 'manual' });
    assert.equal(redirect.status, 301);
    assert.equal(redirect.headers.get('location'), '/ui/');
    assert.equal((await fetch(`${base}/ui/../package.json`)).status, 404);
    assert.equal((await fetch(`${base}/ui/%2e%2e/%2e%2e/package.json`)).status, 404);
  });
});

describe('the trace timeline', () => {
  it('groups calls under their sync and step, by start time, errors marked', () => {
    const store = new TraceStore();
    store.record(cause('u', 1, 'create sandbox (attempt 0): no sandbox for the pod yet'), call('RunPodSandbox', Date.parse('2026-01-01T10:00:00.100Z')));
    store.record(cause('u', 1, 'look up the images of web'), call('ImageStatus', Date.parse('2026-01-01T10:00:00.050Z')));
    store.record(cause('u', 3, 'start container web (restart 1): exited with code 1, restartPolicy Always'), call('CreateContainer', Date.parse('2026-01-01T10:00:05Z'), false));
    const text = formatTimeline({ namespace: 'default', name: 'web', uid: 'u' }, byStart(store.entries('u')));
    assert.equal(text, [
      'CRI calls for pod default/web (uid u), times in UTC:',
      'sync #1: look up the images of web',
      '  10:00:00.050  ImageStatus       web attempt 0                 12ms  id 0123456789abc',
      'sync #1: create sandbox (attempt 0): no sandbox for the pod yet',
      '  10:00:00.100  RunPodSandbox     web attempt 0                 12ms  id 0123456789abc',
      'sync #3: start container web (restart 1): exited with code 1, restartPolicy Always',
      '  10:00:05.000  CreateContainer   web attempt 0                 12ms  error: rpc error: NotFound',
      '',
    ].join('\n'));
  });
});
