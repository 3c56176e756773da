// Named table cases for computePodActions: sandbox changes, init/sidecar order, restarts, kills and crash-loop back-off.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Container, V1Pod, V1PodSpec } from '@kubernetes/client-node';
import { computePodActions, type PlanContext } from '../../src/podworker/plan.js';
import type { PodActions } from '../../src/podworker/actions.js';
import type { ObservedContainer, ObservedPod, ObservedSandbox } from '../../src/runtime/types.js';
import { BackOff, crashLoopKey } from '../../src/podworker/backoff.js';
import { hashContainer } from '../../src/podworker/translate/hash.js';
import { T0, aContainer, aPod, aSandbox, anObservedPod } from '../support/observed-builders.js';

const NOW = T0 + 60_000;
const noBackOff: PlanContext['crashLoopBackOff'] = { isInBackOffSince: () => false, get: () => 0 };
const ctx = (over: Partial<PlanContext> = {}): PlanContext => ({ now: NOW, crashLoopBackOff: noBackOff, ...over });

function spec(pod: V1Pod, name: string): V1Container {
  const all = [...(pod.spec!.initContainers ?? []), ...pod.spec!.containers];
  return all.find((c) => c.name === name)!;
}
/** An observed instance of the pod's container `name`, with the hash of its current spec unless overridden. */
function inst(pod: V1Pod, name: string, over: Partial<ObservedContainer> = {}): ObservedContainer {
  return aContainer(name, { hash: hashContainer(spec(pod, name)), ...over });
}
const sidecar = (name: string, extra: Partial<V1Container> = {}): V1Container => ({ name, restartPolicy: 'Always', ...extra });

/** The parts of PodActions a case states; anything left out is not checked. */
interface Want {
  killPod?: boolean;
  createSandbox?: boolean;
  sandboxId?: string;
  attempt?: number;
  kill?: string[]; // "containerId:reason"
  start?: string[]; // "name:kind:restartCount"
  backOff?: string[]; // names
}
function summarize(a: PodActions): Required<Want> {
  return {
    killPod: a.killPod,
    createSandbox: a.createSandbox,
    sandboxId: a.sandboxId,
    attempt: a.attempt,
    kill: a.containersToKill.map((k) => `${k.containerId}:${k.reason}`),
    start: a.containersToStart.map((s) => `${s.name}:${s.kind}:${s.restartCount}`),
    backOff: a.containersInBackOff.map((b) => b.name),
  };
}

interface Case {
  name: string;
  pod: V1Pod;
  observed: (pod: V1Pod) => ObservedPod | undefined;
  ctx?: PlanContext;
  want: Want;
}

const twoApps = (s: Partial<V1PodSpec> = {}) => aPod(['app', 'side'], s);
const withInit = (s: Partial<V1PodSpec> = {}) => aPod(['app'], s, ['init1', 'init2']);
const withSidecar = (s: Partial<V1PodSpec> = {}) => aPod(['app'], s, [sidecar('proxy'), 'init2']);
const running = (p: V1Pod, name: string, over: Partial<ObservedContainer> = {}) => inst(p, name, over);
const exited = (p: V1Pod, name: string, exitCode: number, over: Partial<ObservedContainer> = {}) =>
  inst(p, name, { state: 'exited', exitCode, ...over });
const obs = (sandboxes: ObservedSandbox[], containers: ObservedContainer[]) => anObservedPod({ sandboxes, containers });

const cases: Case[] = [
  // --- sandbox ---
  {
    name: 'new pod: no sandbox, create one with attempt 0 and start every container',
    pod: twoApps(),
    observed: () => undefined,
    want: { killPod: false, createSandbox: true, attempt: 0, sandboxId: '', start: ['app:regular:0', 'side:regular:0'] },
  },
  {
    name: 'new pod with init containers: only the first init container starts',
    pod: withInit(),
    observed: () => obs([], []),
    want: { createSandbox: true, attempt: 0, start: ['init1:init:0'] },
  },
  {
    name: 'newest sandbox not ready, nothing running: new sandbox at max attempt + 1, no kill',
    pod: twoApps(),
    observed: (p) =>
      obs([aSandbox({ id: 'sb1', attempt: 1, state: 'notready', createdAt: T0 + 10 }), aSandbox({ state: 'notready' })], [
        exited(p, 'app', 0, { sandboxId: 'sb1', restartCount: 2 }),
        exited(p, 'side', 1, { sandboxId: 'sb1' }),
      ]),
    want: { killPod: false, createSandbox: true, attempt: 2, start: ['app:regular:3', 'side:regular:1'] },
  },
  {
    name: 'sandbox not ready while a container still runs: kill the pod, then create',
    pod: twoApps(),
    observed: (p) => obs([aSandbox({ state: 'notready' })], [running(p, 'app'), exited(p, 'side', 0)]),
    want: { killPod: true, createSandbox: true, attempt: 1, start: ['app:regular:1', 'side:regular:1'] },
  },
  {
    name: 'two ready sandboxes: reconcile by killing and creating a new one',
    pod: twoApps(),
    observed: (p) =>
      obs([aSandbox({ id: 'sb1', attempt: 1, createdAt: T0 + 10 }), aSandbox()], [running(p, 'app', { sandboxId: 'sb1' })]),
    want: { killPod: true, createSandbox: true, attempt: 2 },
  },
  {
    name: 'network mode changed (pod now hostNetwork): new sandbox',
    pod: twoApps({ hostNetwork: true }),
    observed: (p) => obs([aSandbox()], [running(p, 'app'), running(p, 'side')]),
    want: { killPod: true, createSandbox: true, attempt: 1 },
  },
  {
    name: 'non-host-network sandbox without an IP: new sandbox',
    pod: twoApps(),
    observed: (p) => obs([aSandbox({ ip: '', ips: [] })], [running(p, 'app'), running(p, 'side')]),
    want: { killPod: true, createSandbox: true, attempt: 1 },
  },
  {
    name: 'host-network sandbox without an IP is fine: steady state',
    pod: twoApps({ hostNetwork: true }),
    observed: (p) => obs([aSandbox({ ip: '', ips: [], hostNetwork: true })], [running(p, 'app'), running(p, 'side')]),
    want: { killPod: false, createSandbox: false, sandboxId: 'sb0', attempt: 0, kill: [], start: [], backOff: [] },
  },
  {
    name: 'restart Never: sandbox gone after containers ran: no new sandbox',
    pod: twoApps({ restartPolicy: 'Never' }),
    observed: (p) => obs([aSandbox({ state: 'notready' })], [exited(p, 'app', 0), exited(p, 'side', 1)]),
    want: { killPod: false, createSandbox: false, start: [] },
  },
  {
    name: 'restart Never: sandbox died before any container was created: create it again',
    pod: twoApps({ restartPolicy: 'Never' }),
    observed: () => obs([aSandbox({ state: 'notready' })], []),
    want: { createSandbox: true, attempt: 1, start: ['app:regular:0', 'side:regular:0'] },
  },
  {
    name: 'restart OnFailure: sandbox gone and every container succeeded: no new sandbox',
    pod: twoApps({ restartPolicy: 'OnFailure' }),
    observed: (p) => obs([aSandbox({ state: 'notready' })], [exited(p, 'app', 0), exited(p, 'side', 0)]),
    want: { createSandbox: false, start: [] },
  },
  {
    name: 'restart OnFailure: sandbox gone, one failed: new sandbox starts only the failed one',
    pod: twoApps({ restartPolicy: 'OnFailure' }),
    observed: (p) => obs([aSandbox({ state: 'notready' })], [exited(p, 'app', 0), exited(p, 'side', 2, { restartCount: 4 })]),
    want: { createSandbox: true, attempt: 1, start: ['side:regular:5'] },
  },
  // --- regular containers ---
  {
    name: 'steady state: everything running with the current spec: nothing to do',
    pod: twoApps(),
    observed: (p) => obs([aSandbox()], [running(p, 'app'), running(p, 'side')]),
    want: { killPod: false, createSandbox: false, sandboxId: 'sb0', kill: [], start: [], backOff: [] },
  },
  {
    name: 'restart Always: exited container restarts with restartCount+1',
    pod: twoApps(),
    observed: (p) => obs([aSandbox()], [running(p, 'app'), exited(p, 'side', 0, { restartCount: 3 })]),
    want: { killPod: false, start: ['side:regular:4'], kill: [] },
  },
  {
    name: 'restart OnFailure: a container that exited 0 stays down',
    pod: twoApps({ restartPolicy: 'OnFailure' }),
    observed: (p) => obs([aSandbox()], [running(p, 'app'), exited(p, 'side', 0)]),
    want: { killPod: false, start: [] },
  },
  {
    name: 'restart OnFailure: a container that exited 1 restarts',
    pod: twoApps({ restartPolicy: 'OnFailure' }),
    observed: (p) => obs([aSandbox()], [running(p, 'app'), exited(p, 'side', 1)]),
    want: { start: ['side:regular:1'] },
  },
  {
    name: 'restart Never: a failed container stays down while the other runs',
    pod: twoApps({ restartPolicy: 'Never' }),
    observed: (p) => obs([aSandbox()], [running(p, 'app'), exited(p, 'side', 1)]),
    want: { killPod: false, start: [], kill: [] },
  },
  {
    name: 'restart Never: every container exited: kill the pod (stop the sandbox), start nothing',
    pod: twoApps({ restartPolicy: 'Never' }),
    observed: (p) => obs([aSandbox()], [exited(p, 'app', 0), exited(p, 'side', 1)]),
    want: { killPod: true, createSandbox: false, start: [], kill: [] },
  },
  {
    name: 'only the newest instance counts: an old exited instance does not restart a running container',
    pod: twoApps(),
    observed: (p) =>
      obs([aSandbox()], [
        running(p, 'app', { id: 'app-new', restartCount: 5, createdAt: T0 + 9000 }),
        exited(p, 'app', 1, { id: 'app-old', restartCount: 4, createdAt: T0 + 1000 }),
        running(p, 'side'),
      ]),
    want: { start: [], kill: [] },
  },
  {
    name: 'created but never started: start that same instance (same restartCount), never a second one (kubernetes#139670)',
    pod: twoApps(),
    observed: (p) => obs([aSandbox()], [running(p, 'app'), inst(p, 'side', { state: 'created' })]),
    want: { start: ['side:regular:0'], kill: [] },
  },
  {
    name: 'unknown state: kill it, then start a new one',
    pod: twoApps(),
    observed: (p) => obs([aSandbox()], [running(p, 'app'), inst(p, 'side', { id: 'side-u', state: 'unknown' })]),
    want: { start: ['side:regular:1'], kill: ['side-u:Unknown'] },
  },
  // --- kills ---
  {
    name: 'spec hash changed: kill and start the new spec, even under restart Never',
    pod: twoApps({ restartPolicy: 'Never' }),
    observed: (p) => obs([aSandbox()], [running(p, 'app', { id: 'app-1', hash: 'stale' }), running(p, 'side')]),
    want: { kill: ['app-1:SpecChanged'], start: ['app:regular:1'] },
  },
  {
    name: 'liveness failure (ctx.unhealthy): kill and restart under Always',
    pod: twoApps(),
    observed: (p) => obs([aSandbox()], [running(p, 'app', { id: 'app-1' }), running(p, 'side')]),
    ctx: ctx({ unhealthy: new Map([['app-1', { reason: 'LivenessProbe', message: 'Container app failed liveness probe' }]]) }),
    want: { kill: ['app-1:LivenessProbe'], start: ['app:regular:1'] },
  },
  {
    name: 'liveness failure under restart Never: kill only',
    pod: twoApps({ restartPolicy: 'Never' }),
    observed: (p) => obs([aSandbox()], [running(p, 'app', { id: 'app-1' }), running(p, 'side')]),
    ctx: ctx({ unhealthy: new Map([['app-1', { reason: 'LivenessProbe', message: 'failed' }]]) }),
    want: { kill: ['app-1:LivenessProbe'], start: [] },
  },
  {
    name: 'a running container whose name is not in the spec is killed',
    pod: aPod(['app']),
    observed: (p) => obs([aSandbox()], [running(p, 'app'), aContainer('old', { id: 'old-0' })]),
    want: { kill: ['old-0:NotInSpec'], start: [] },
  },
  // --- init containers ---
  {
    name: 'init container running: wait, start nothing else',
    pod: withInit(),
    observed: (p) => obs([aSandbox()], [running(p, 'init1')]),
    want: { start: [], killPod: false },
  },
  {
    name: 'first init container succeeded: the second starts, regular containers wait',
    pod: withInit(),
    observed: (p) => obs([aSandbox()], [exited(p, 'init1', 0)]),
    want: { start: ['init2:init:0'] },
  },
  {
    name: 'all init containers succeeded: regular containers start',
    pod: withInit(),
    observed: (p) => obs([aSandbox()], [exited(p, 'init2', 0, { createdAt: T0 + 2000 }), exited(p, 'init1', 0)]),
    want: { start: ['app:regular:0'] },
  },
  {
    name: 'init container failed under OnFailure: it restarts with restartCount+1',
    pod: withInit({ restartPolicy: 'OnFailure' }),
    observed: (p) => obs([aSandbox()], [exited(p, 'init1', 1, { restartCount: 2 })]),
    want: { start: ['init1:init:3'], killPod: false },
  },
  {
    name: 'init container failed under Never: the pod fails, nothing more starts',
    pod: withInit({ restartPolicy: 'Never' }),
    observed: (p) => obs([aSandbox()], [exited(p, 'init1', 1)]),
    want: { killPod: true, createSandbox: false, start: [] },
  },
  {
    name: 'init instances from an older sandbox do not count: the first init container runs again',
    pod: withInit(),
    observed: (p) =>
      obs([aSandbox({ id: 'sb1', attempt: 1, createdAt: T0 + 10 }), aSandbox({ state: 'notready' })], [
        exited(p, 'init2', 0, { createdAt: T0 + 2000 }),
        exited(p, 'init1', 0),
      ]),
    want: { createSandbox: false, sandboxId: 'sb1', attempt: 1, start: ['init1:init:1'] },
  },
  {
    name: 'pod already initialized (app running) and init instances removed: no init container reruns',
    pod: withInit(),
    observed: (p) => obs([aSandbox()], [running(p, 'app')]),
    want: { start: [], kill: [] },
  },
  // --- sidecars ---
  {
    name: 'sidecar started (not finished): the next init container starts',
    pod: withSidecar(),
    observed: (p) => obs([aSandbox()], [running(p, 'proxy')]),
    want: { start: ['init2:init:0'] },
  },
  {
    name: 'sidecar with a startupProbe not yet succeeded: the next init container waits',
    pod: aPod(['app'], {}, [sidecar('proxy', { startupProbe: { exec: { command: ['true'] } } }), 'init2']),
    observed: (p) => obs([aSandbox()], [running(p, 'proxy', { id: 'proxy-0' })]),
    ctx: ctx({ startupProbeSucceeded: new Set() }),
    want: { start: [] },
  },
  {
    name: 'sidecar running and the other init container done: regular containers start, sidecar kept',
    pod: withSidecar(),
    observed: (p) => obs([aSandbox()], [exited(p, 'init2', 0, { createdAt: T0 + 2000 }), running(p, 'proxy')]),
    want: { start: ['app:regular:0'], kill: [] },
  },
  {
    name: 'sidecar exits after initialization: it restarts beside the running app (even under Never)',
    pod: withSidecar({ restartPolicy: 'Never' }),
    observed: (p) =>
      obs([aSandbox()], [running(p, 'app', { createdAt: T0 + 3000 }), exited(p, 'init2', 0, { createdAt: T0 + 2000 }), exited(p, 'proxy', 137)]),
    want: { start: ['proxy:sidecar:1'], killPod: false },
  },
  {
    name: 'sidecar spec changed: kill and restart it',
    pod: withSidecar(),
    observed: (p) =>
      obs([aSandbox()], [running(p, 'app', { createdAt: T0 + 3000 }), exited(p, 'init2', 0, { createdAt: T0 + 2000 }), running(p, 'proxy', { id: 'proxy-0', hash: 'stale' })]),
    want: { kill: ['proxy-0:SpecChanged'], start: ['proxy:sidecar:1'] },
  },
  {
    name: 'app finished under Never while the sidecar runs: kill the pod, do not restart the sidecar',
    pod: withSidecar({ restartPolicy: 'Never' }),
    observed: (p) =>
      obs([aSandbox()], [exited(p, 'app', 0, { createdAt: T0 + 3000 }), exited(p, 'init2', 0, { createdAt: T0 + 2000 }), exited(p, 'proxy', 1)]),
    want: { killPod: true, start: [], backOff: [] },
  },
];

for (const c of cases) {
  test(c.name, () => {
    const got = summarize(computePodActions(c.pod, c.observed(c.pod), c.ctx ?? ctx()));
    const picked = Object.fromEntries(Object.keys(c.want).map((k) => [k, got[k as keyof Want]]));
    assert.deepEqual(picked, c.want);
  });
}

test('crash loop: a container in back-off since its last finish goes to containersInBackOff with until and the kubelet message', () => {
  const pod = twoApps();
  const observed = obs([aSandbox()], [running(pod, 'app'), exited(pod, 'side', 1, { restartCount: 1 })]);
  const finishedAt = observed.containers.find((x) => x.name === 'side')!.finishedAt;
  const key = crashLoopKey(pod, 'side', hashContainer(spec(pod, 'side')));
  const view: PlanContext['crashLoopBackOff'] = {
    isInBackOffSince: (k, t) => k === key && t === finishedAt,
    get: (k) => (k === key ? 20_000 : 0),
  };
  const a = computePodActions(pod, observed, ctx({ crashLoopBackOff: view }));
  assert.deepEqual(a.containersToStart, []);
  assert.deepEqual(a.containersInBackOff, [
    { name: 'side', kind: 'regular', until: finishedAt + 20_000, message: 'back-off 20s restarting failed container=side pod=web_default(uid-1)' },
  ]);
  assert.equal(a.killPod, false);
});

test('crash loop: the first restart after the first exit is immediate, the next one waits 10s, then 20s', () => {
  let now = NOW;
  const backOff = new BackOff({ initialMs: 10_000, maxMs: 300_000, clock: () => now });
  const pod = aPod(['app']);
  const first = obs([aSandbox()], [exited(pod, 'app', 1, { finishedAt: now - 1000 })]);
  const a1 = computePodActions(pod, first, ctx({ crashLoopBackOff: backOff }));
  assert.deepEqual(a1.containersToStart.map((s) => s.name), ['app']);
  const rec = a1.containersToStart[0]!.backOff!;
  assert.deepEqual(rec, { key: crashLoopKey(pod, 'app', hashContainer(spec(pod, 'app'))), eventTime: now - 1000 });
  backOff.next(rec.key, rec.eventTime); // what the executor does as it restarts

  // The restarted instance (restartCount 1) crashes at once.
  now += 2000;
  const second = obs([aSandbox()], [exited(pod, 'app', 1, { id: 'app-1', restartCount: 1, createdAt: T0 + 5000, finishedAt: now })]);
  const a2 = computePodActions(pod, second, ctx({ now, crashLoopBackOff: backOff }));
  assert.deepEqual(a2.containersToStart, []);
  assert.equal(a2.containersInBackOff[0]!.until, now + 10_000);
  assert.match(a2.containersInBackOff[0]!.message, /^back-off 10s restarting failed container=app /);

  now += 10_000; // back-off over
  const a3 = computePodActions(pod, second, ctx({ now, crashLoopBackOff: backOff }));
  assert.deepEqual(a3.containersToStart.map((s) => `${s.name}:${s.restartCount}`), ['app:2']);
  backOff.next(a3.containersToStart[0]!.backOff!.key, a3.containersToStart[0]!.backOff!.eventTime);
  assert.equal(backOff.get(rec.key), 20_000);
});

test('a new sandbox keeps the crash-loop back-off of its containers', () => {
  const pod = aPod(['app']);
  const observed = obs([aSandbox({ state: 'notready' })], [exited(pod, 'app', 1)]);
  const a = computePodActions(pod, observed, ctx({ crashLoopBackOff: { isInBackOffSince: () => true, get: () => 40_000 } }));
  assert.equal(a.createSandbox, true);
  assert.deepEqual(a.containersToStart, []);
  assert.match(a.containersInBackOff[0]!.message, /^back-off 40s /);
});
