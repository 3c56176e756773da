// A runtime call that hangs, over the real gRPC client and a fake CRI server: every call ends at its deadline, and one hung call never stalls the other pods' workers.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import pino from 'pino';
import { createCriClient, type CriClient } from '../../src/cri/client.js';
import { DeadlineExceededError } from '../../src/cri/errors.js';
import type { CriRuntime } from '../../src/cri/types.js';
import { PodWorkers } from '../../src/podworker/workers.js';
import { recordFault } from '../support/faults.js';
import { startFakeCriServer, type FakeCriServer } from '../support/fake-cri-server.js';
import { makeHarness, pod } from '../support/syncer-harness.js';

const DEADLINE_MS = 400;
const WORKERS_DEADLINE_MS = 8000;

let dir: string;
let server: FakeCriServer | undefined;
let client: CriClient | undefined;
before(() => (dir = mkdtempSync(join(tmpdir(), 'mk-cri-hang-'))));
after(() => rmSync(dir, { recursive: true, force: true }));
afterEach(async () => {
  client?.close();
  await server?.stop();
  client = server = undefined;
});

/** Every RPC the agent makes, with arguments good enough to reach the server (which never answers). */
const EVERY_CALL: [rpc: string, call: (c: CriRuntime) => Promise<unknown>][] = [
  ['Version', (c) => c.version()],
  ['Status', (c) => c.status()],
  ['RunPodSandbox', (c) => c.runPodSandbox({ metadata: { name: 'p', namespace: 'ns', uid: 'u', attempt: 0 } } as never)],
  ['StopPodSandbox', (c) => c.stopPodSandbox('s')],
  ['RemovePodSandbox', (c) => c.removePodSandbox('s')],
  ['PodSandboxStatus', (c) => c.podSandboxStatus('s')],
  ['ListPodSandbox', (c) => c.listPodSandbox()],
  ['CreateContainer', (c) => c.createContainer('s', { metadata: { name: 'c', attempt: 0 }, image: { image: 'busybox:1.36' } } as never, {} as never)],
  ['StartContainer', (c) => c.startContainer('c')],
  ['StopContainer', (c) => c.stopContainer('c', 0)],
  ['RemoveContainer', (c) => c.removeContainer('c')],
  ['ListContainers', (c) => c.listContainers()],
  ['ContainerStatus', (c) => c.containerStatus('c')],
  ['UpdateContainerResources', (c) => c.updateContainerResources('c', {})],
  ['ReopenContainerLog', (c) => c.reopenContainerLog('c')],
  ['ExecSync', (c) => c.execSync('c', ['true'], 0)],
  ['Exec', (c) => c.exec({ containerId: 'c', cmd: ['sh'], stdout: true } as never)],
  ['Attach', (c) => c.attach({ containerId: 'c', stdout: true } as never)],
  ['PortForward', (c) => c.portForward({ podSandboxId: 's', port: [80] })],
  ['ContainerStats', (c) => c.containerStats('c')],
  ['ListContainerStats', (c) => c.listContainerStats()],
  ['ImageStatus', (c) => c.imageStatus({ image: 'busybox:1.36' })],
  // Pulls have their own, long deadline (image-service.ts); a caller may set a shorter one.
  ['PullImage', (c) => c.pullImage({ image: 'busybox:1.36' }, undefined, undefined, { timeoutMs: DEADLINE_MS })],
  ['ListImages', (c) => c.listImages()],
  ['RemoveImage', (c) => c.removeImage({ image: 'busybox:1.36' })],
  ['ImageFsInfo', (c) => c.imageFsInfo()],
];

describe('a hung runtime call', () => {
  // A call with no deadline would hang: the test fails at its own timeout rather than waits.
  it('every CRI call ends at its deadline with DeadlineExceededError when the runtime never answers', { timeout: 20_000 }, async () => {
    server = await startFakeCriServer({ socketPath: join(dir, 'every.sock') });
    client = createCriClient({ runtimeEndpoint: server.endpoint, timeoutMs: DEADLINE_MS });
    const c = client;
    await c.version({ timeoutMs: 10_000 }); // connected first: on a loaded machine dialling alone can outlast the deadline
    server.calls.length = 0;
    for (const [rpc] of EVERY_CALL) server.hangNext(rpc);
    const started = Date.now();
    const outcomes = await Promise.all(EVERY_CALL.map(async ([rpc, call]) => {
      const t = Date.now();
      try {
        await call(c);
        return `${rpc}: answered`;
      } catch (err) {
        const ms = Date.now() - t;
        return err instanceof DeadlineExceededError && ms >= DEADLINE_MS - 50 && ms < DEADLINE_MS + 3000 ? 'deadline' : `${rpc}: ${String(err)} after ${ms} ms`;
      }
    }));
    const lost = outcomes.filter((o) => o !== 'deadline');
    recordFault({
      kind: 'fault', what: 'every CRI RPC hung by the runtime (fake CRI server over gRPC, never answers)', times: EVERY_CALL.length, unit: 'RPCs',
      lost: lost.length, lostWhat: lost.length ? lost.join('; ') : undefined, notes: `each ended with DEADLINE_EXCEEDED at its ${DEADLINE_MS} ms deadline, side by side`,
    });
    assert.deepEqual(lost, []);
    // The calls that reached the server in time (all of them, but on a very loaded machine) carried their deadline.
    assert.ok(server.calls.length > 0 && server.calls.every((l) => Number.isFinite(l.deadline)), 'every call carries a deadline');
    assert.ok(Date.now() - started < DEADLINE_MS + 2000, 'they ran side by side, not one after another');
  });

  it('one pod\'s RunPodSandbox hangs: the 8 other pods start meanwhile, and the stuck one is retried after the deadline and starts', async () => {
    // The harness's syncer talks to its FakeCri through the real gRPC client and server.
    // It notes when a call first ends at its deadline.
    let c!: CriClient;
    let deadlineAt = Infinity;
    const viaGrpc = new Proxy({}, {
      get: (_t, prop: string) => (typeof (c as unknown as Record<string, unknown>)?.[prop] === 'function'
        ? () => (...args: unknown[]) => (c as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[prop]!(...args).catch((err: unknown) => {
          if (err instanceof DeadlineExceededError) deadlineAt = Math.min(deadlineAt, Date.now() - started);
          throw err;
        })
        : undefined),
    });
    const started = Date.now();
    const h = makeHarness({ intercept: viaGrpc as never });
    h.cri.addImage('busybox:1.36');
    server = await startFakeCriServer({ socketPath: join(dir, 'workers.sock'), fake: h.cri });
    // A deadline long enough for 8 pods to start on a loaded machine (4.5 s seen at load 12): what
    // is shown is the order. The failed sync is retried 10 s later (ERROR_RESYNC_MS).
    client = c = createCriClient({ runtimeEndpoint: server.endpoint, timeoutMs: WORKERS_DEADLINE_MS });
    server.hangNext('RunPodSandbox', (req: { config?: { metadata?: { name?: string } } }) => req.config?.metadata?.name === 'stuck');

    // Four pods may sync at once: the hung one holds one slot, never the others.
    const workers = new PodWorkers({ syncer: h.syncer, logger: pino({ level: 'silent' }), concurrency: 4, syncFrequencyMs: 60_000, errorRetryMs: 50 });
    const others = Array.from({ length: 8 }, (_, i) => pod(`other-${i}`));
    const stuck = pod('stuck');
    workers.updatePod(stuck);
    for (const p of others) workers.updatePod(p);
    const running = (p: ReturnType<typeof pod>) => h.status(p)?.phase === 'Running';
    const until = async (what: string, ok: () => boolean, ms: number) => {
      const end = Date.now() + ms;
      while (!ok()) {
        if (Date.now() > end) assert.fail(`${what}: not within ${ms} ms`);
        await new Promise((r) => setTimeout(r, 10));
      }
      return Date.now() - started;
    };
    const othersMs = await until('the 8 other pods Running', () => others.every(running), WORKERS_DEADLINE_MS);
    const hungCall = server.callsOf('RunPodSandbox').find((l) => l.request.config?.metadata?.name === 'stuck')!;
    assert.equal(deadlineAt, Infinity, `the other pods ran (${othersMs} ms) while the hung call still waited`);
    assert.equal(running(stuck), false, 'the stuck pod is still waiting on its call');
    assert.ok(Number.isFinite(hungCall.deadline));

    const stuckMs = await until('the stuck pod Running after a retry', () => running(stuck), WORKERS_DEADLINE_MS + 10_000);
    assert.ok(deadlineAt >= WORKERS_DEADLINE_MS - 50 && stuckMs > deadlineAt, `the hung call ended at its deadline (${deadlineAt} ms), then the retry ran the pod (${stuckMs} ms)`);
    assert.equal(server.callsOf('RunPodSandbox').filter((l) => l.request.config?.metadata?.name === 'stuck').length, 2, 'one hung call, one retry');
    recordFault({
      kind: 'fault', what: 'one pod\'s RunPodSandbox hung (never answered) among 9 pods, 4 pod workers', times: 1, unit: 'hung call',
      lost: h.cri.sandboxes.size === 9 ? 0 : 1, notes: `the 8 other pods Running after ${(othersMs / 1000).toFixed(1)} s, the hung call cut at ${(deadlineAt / 1000).toFixed(1)} s (${WORKERS_DEADLINE_MS / 1000} s deadline), the stuck pod Running on its retry at ${(stuckMs / 1000).toFixed(1)} s`,
    });
    assert.equal(h.cri.sandboxes.size, 9, 'one sandbox per pod, none left by the hung call');
    await workers.idle();
  });
});
