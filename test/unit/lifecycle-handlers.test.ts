// Lifecycle hooks: exec, httpGet and sleep handlers, the kubelet's failure messages, and preStop bounded by the grace period.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { V1Container, V1LifecycleHandler, V1Pod } from '@kubernetes/client-node';
import type { EventType } from '../../src/events/recorder.js';
import { goQuote, goSlice } from '../../src/lifecycle/format.js';
import { HookRunner } from '../../src/lifecycle/handlers.js';
import type { ProberClock } from '../../src/prober/types.js';
import type { ObservedContainer } from '../../src/runtime/types.js';

const pod: V1Pod = { metadata: { name: 'web', namespace: 'default', uid: 'u1' }, spec: { containers: [] } };
const observed = { id: 'c1', sandboxId: 'sb1', name: 'app' } as ObservedContainer;

/** Timers that fire when the test says so; `real` falls through to node's timers. */
class ManualClock implements ProberClock {
  t = 0;
  timers: { at: number; fn: () => void; id: number }[] = [];
  now = () => this.t;
  setTimeout = (fn: () => void, ms: number) => {
    const id = this.timers.length + 1;
    this.timers.push({ at: this.t + ms, fn, id });
    return { id, unref: () => undefined };
  };
  clearTimeout = (h: unknown) => {
    this.timers = this.timers.filter((t) => t.id !== (h as { id: number }).id);
  };
  async advance(ms: number) {
    this.t += ms;
    for (const t of this.timers.filter((x) => x.at <= this.t)) {
      this.timers = this.timers.filter((x) => x !== t);
      t.fn();
    }
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  }
}

function runner(opts: { exec?: (cmd: string[]) => { stdout?: string; stderr?: string; exitCode?: number }; podIP?: string; clock?: ProberClock } = {}) {
  const events: { type: EventType; reason: string; message: string }[] = [];
  const execs: { id: string; cmd: string[]; timeout: number; callTimeoutMs?: number }[] = [];
  const hooks = new HookRunner({
    cri: {
      async execSync(id, cmd, timeout, callOpts) {
        execs.push({ id, cmd, timeout, callTimeoutMs: callOpts?.timeoutMs });
        const a = opts.exec?.(cmd) ?? {};
        return { stdout: Buffer.from(a.stdout ?? ''), stderr: Buffer.from(a.stderr ?? ''), exitCode: a.exitCode ?? 0 };
      },
      async listContainers() {
        return [{ id: 'c1', podSandboxId: 'sb1' }] as never;
      },
      async podSandboxStatus() {
        return { network: { ip: opts.podIP ?? '', additionalIps: [] } } as never;
      },
    },
    recorder: { event: (_p, type, reason, message) => void events.push({ type, reason, message }) },
    logger: { info: () => {}, warn: () => {} },
    clock: opts.clock,
  });
  return { hooks, events, execs };
}

const withPostStart = (postStart: V1LifecycleHandler): V1Container => ({ name: 'app', lifecycle: { postStart } });

describe('postStart', () => {
  it('exec: success is undefined; the command runs without a timeout', async () => {
    const r = runner();
    assert.equal(await r.hooks.postStart(pod, withPostStart({ exec: { command: ['touch', '/tmp/started'] } }), 'c1'), undefined);
    assert.deepEqual(r.execs, [{ id: 'c1', cmd: ['touch', '/tmp/started'], timeout: 0, callTimeoutMs: undefined }]);
  });

  it('exec: a failure carries the output, formatted as the kubelet does', async () => {
    const r = runner({ exec: () => ({ stdout: 'oops\n', stderr: 'bad "thing"', exitCode: 3 }) });
    const msg = await r.hooks.postStart(pod, withPostStart({ exec: { command: ['sh', '-c', 'echo oops; exit 3'] } }), 'c1');
    assert.equal(
      msg,
      `Exec lifecycle hook ([sh -c echo oops; exit 3]) for Container "app" in Pod "web_default(u1)" failed - error: command 'sh -c echo oops; exit 3' exited with 3: bad "thing", message: "oops\\nbad \\"thing\\""`,
    );
  });

  it('an unsupported handler cannot run', async () => {
    const msg = await runner().hooks.postStart(pod, withPostStart({ tcpSocket: { port: 80 } }), 'c1');
    assert.match(msg ?? '', /^Cannot run handler: invalid handler: /);
  });
});

describe('httpGet hooks', () => {
  let server: http.Server;
  let port = 0;
  const seen: { url?: string; ua?: string }[] = [];
  before(async () => {
    server = http.createServer((req, res) => {
      seen.push({ url: req.url, ua: req.headers['user-agent'] });
      res.writeHead(req.url === '/fail' ? 500 : 200).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  after(() => server.close());

  it('GETs the pod IP from its sandbox with the kube-lifecycle user agent; any answer is a success', async () => {
    const r = runner({ podIP: '127.0.0.1' });
    assert.equal(await r.hooks.postStart(pod, withPostStart({ httpGet: { port, path: '/started' } }), 'c1'), undefined);
    assert.equal(await r.hooks.postStart(pod, withPostStart({ httpGet: { port, path: '/fail' } }), 'c1'), undefined, 'the kubelet ignores the status code');
    assert.deepEqual(seen.slice(-2), [{ url: '/started', ua: 'kube-lifecycle/1.34' }, { url: '/fail', ua: 'kube-lifecycle/1.34' }]);
  });

  it('a request that fails fails the hook', async () => {
    const r = runner({ podIP: '127.0.0.1' });
    const closed = http.createServer();
    await new Promise<void>((res) => closed.listen(0, '127.0.0.1', res));
    const p = (closed.address() as AddressInfo).port;
    await new Promise((res) => closed.close(res));
    assert.equal(
      await r.hooks.postStart(pod, withPostStart({ httpGet: { port: p, path: '/hook' } }), 'c1'),
      `HTTP lifecycle hook (/hook) for Container "app" in Pod "web_default(u1)" failed - error: Get "http://127.0.0.1:${p}/hook": dial tcp 127.0.0.1:${p}: connect: connection refused`,
    );
  });

  it('no pod IP, or a host that is not the pod, fails without sending anything', async () => {
    const noIP = await runner().hooks.postStart(pod, withPostStart({ httpGet: { port, path: '/x' } }), 'c1');
    assert.match(noIP ?? '', /failed - error: failed to find networking container/);
    const away = await runner({ podIP: '10.88.0.2' }).hooks.postStart(pod, withPostStart({ httpGet: { port, path: '/x', host: '192.0.2.8' } }), 'c1');
    assert.match(away ?? '', /neither the pod's IP nor loopback/);
  });
});

describe('preStop', () => {
  it('sleep: waits its seconds', async () => {
    const clock = new ManualClock();
    const r = runner({ clock });
    let done = false;
    const p = r.hooks.preStop(pod, { name: 'app', lifecycle: { preStop: { sleep: { seconds: 3 } } } }, observed, 30).then(() => (done = true));
    await clock.advance(2999);
    assert.equal(done, false);
    await clock.advance(1);
    await p;
    assert.deepEqual(r.events, []);
  });

  it('is cut off at the grace period, without a failure event', async () => {
    const clock = new ManualClock();
    const r = runner({ clock });
    let done = false;
    const p = r.hooks.preStop(pod, { name: 'app', lifecycle: { preStop: { sleep: { seconds: 600 } } } }, observed, 2).then(() => (done = true));
    await clock.advance(1999);
    assert.equal(done, false);
    await clock.advance(1);
    await p;
    assert.deepEqual(r.events, []);
  });

  it('exec: bounded by the grace period; a failure is a FailedPreStopHook event without the output', async () => {
    const r = runner({ exec: () => ({ stdout: 'secret', exitCode: 1 }) });
    await r.hooks.preStop(pod, { name: 'app', lifecycle: { preStop: { exec: { command: ['false'] } } } }, observed, 7);
    assert.equal(r.execs[0]!.callTimeoutMs, 7000);
    assert.deepEqual(r.events, [{ type: 'Warning', reason: 'FailedPreStopHook', message: 'PreStopHook failed' }]);
  });
});

describe('Go formatting', () => {
  it('%v of a slice and %q of a string', () => {
    assert.equal(goSlice(['sh', '-c', 'x y']), '[sh -c x y]');
    assert.equal(goQuote('a\n"b"\t\\\x01'), '"a\\n\\"b\\"\\t\\\\\\x01"');
  });
});
