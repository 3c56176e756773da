// PodAdmission: HandlePodAdditions' order and active pods, rejectPod's event and status, and what removal forgets (named cases).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Pod, V1ResourceRequirements } from '@kubernetes/client-node';
import pino from 'pino';
import { admissionOrder, PodAdmission, rejectedStatus } from '../../src/admission/controller.js';
import { defaultNodeLabels } from '../../src/admission/node-affinity.js';
import type { AdmissionNode } from '../../src/admission/types.js';
import { EventRecorder } from '../../src/events/recorder.js';
import { PodCache } from '../../src/pleg/cache.js';
import type { PodWorkerState } from '../../src/podworker/state.js';
import { safeSysctls, SysctlAllowlist } from '../../src/podworker/translate/sysctls.js';
import { StatusManager } from '../../src/status/manager.js';
import { aSandbox, anObservedPod, T0 } from '../support/observed-builders.js';

const logger = pino({ level: 'silent' });
const NODE: AdmissionNode = {
  name: 'node-1',
  labels: defaultNodeLabels('node-1', 'amd64'),
  allocatable: { milliCPU: 2000, memory: 2 ** 32, ephemeralStorage: 2 ** 36, pods: 110, scalarResources: {} },
  sysctls: new SysctlAllowlist(safeSysctls()),
};
const PORTS_MESSAGE = "Predicate NodePorts failed: node(s) didn't have free ports for the requested pod ports";

/** A static pod "<name>" created at T0 + createdS seconds; `port` asks for that hostPort. */
function pod(name: string, createdS: number, opts: { port?: number; cpu?: string; guaranteed?: boolean } = {}): V1Pod {
  const resources: V1ResourceRequirements | undefined = opts.guaranteed
    ? { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } }
    : opts.cpu ? { requests: { cpu: opts.cpu } } : undefined;
  return {
    metadata: { name, namespace: 'default', uid: `uid-${name}`, creationTimestamp: new Date(T0 + createdS * 1000), annotations: { 'kubernetes.io/config.source': 'file' } },
    spec: {
      containers: [{ name: 'main', image: 'busybox', ...(opts.port ? { ports: [{ containerPort: 80, hostPort: opts.port, protocol: 'TCP' }] } : {}), ...(resources ? { resources } : {}) }],
    },
  };
}

function harness() {
  const states = new Map<string, PodWorkerState['kind']>();
  const statusManager = new StatusManager({ clock: { now: () => T0 + 100_000 }, logger });
  const recorder = new EventRecorder({ logger, clock: () => T0 + 100_000 });
  const cache = new PodCache();
  const workers = { state: (uid: string) => (states.has(uid) ? ({ kind: states.get(uid) } as PodWorkerState) : undefined) };
  const admission = new PodAdmission({ node: NODE, workers, statusManager, recorder, cache, logger });
  /** Admits `added` with `current` as the sources' pods (default: added); admitted pods get a syncing worker. */
  const add = (added: V1Pod[], current: V1Pod[] = added): string[] => {
    const ok = admission.handleAdditions(added, current);
    for (const p of ok) if (!states.has(p.metadata!.uid!)) states.set(p.metadata!.uid!, 'syncing');
    return ok.map((p) => p.metadata!.name!);
  };
  return { states, statusManager, recorder, cache, admission, add };
}

test('admission: one ADD is admitted in creation order, so the later of two pods on one hostPort is rejected', () => {
  const h = harness();
  const early = pod('early', 1, { port: 8080 });
  const late = pod('late', 2, { port: 8080 });
  assert.deepEqual(h.add([late, early]), ['early']);
  assert.equal(h.admission.isRejected('uid-late'), true);
  assert.equal(h.admission.isRejected('uid-early'), false);
  const status = h.statusManager.getPodStatus('uid-late')!;
  assert.deepEqual(
    { phase: status.phase, reason: status.reason, message: status.message, qosClass: status.qosClass },
    { phase: 'Failed', reason: 'NodePorts', message: `Pod was rejected: ${PORTS_MESSAGE}`, qosClass: 'BestEffort' },
  );
  assert.ok(status.startTime, 'the status manager stamps a start time, as the kubelet does for a rejected pod');
  const events = h.recorder.eventsFor('uid-late');
  assert.deepEqual(events.map((e) => [e.type, e.reason, e.message]), [['Warning', 'NodePorts', PORTS_MESSAGE]]);
  assert.equal(h.statusManager.getPodStatus('uid-early'), undefined, 'an admitted pod gets its status from its worker');
});

test('admission: a pod admitted in an earlier ADD holds its resources for later ones', () => {
  const h = harness();
  const a = pod('a', 1, { cpu: '1500m' });
  const b = pod('b', 2, { cpu: '1' });
  assert.deepEqual(h.add([a]), ['a']);
  assert.deepEqual(h.add([b], [a, b]), []);
  const status = h.statusManager.getPodStatus('uid-b')!;
  assert.deepEqual([status.reason, status.message], [
    'UnexpectedAdmissionError',
    'Pod was rejected: Unexpected error while attempting to recover from admission failure: preemption: error finding a set of pods to preempt: no set of running pods found to reclaim resources: [(res: cpu, q: 500), ]',
  ]);
  assert.deepEqual(h.recorder.eventsFor('uid-b').map((e) => [e.type, e.reason]), [['Warning', 'UnexpectedAdmissionError']]);
});

const holders: { name: string; kind: PodWorkerState['kind']; phase?: string; holds: boolean }[] = [
  { name: 'a running pod holds its port', kind: 'syncing', holds: true },
  { name: 'a pod that reached Succeeded does not', kind: 'syncing', phase: 'Succeeded', holds: false },
  { name: 'a Failed pod still being torn down does', kind: 'terminating', phase: 'Failed', holds: true },
  { name: 'a pod known to be terminated does not', kind: 'terminated', phase: 'Succeeded', holds: false },
];
for (const c of holders) {
  test(`admission: active pods: ${c.name}`, () => {
    const h = harness();
    const first = pod('first', 1, { port: 9000 });
    h.add([first]);
    h.states.set('uid-first', c.kind);
    if (c.phase) h.statusManager.setPodStatus(first, { phase: c.phase });
    const second = pod('second', 2, { port: 9000 });
    assert.deepEqual(h.add([second], [first, second]), c.holds ? [] : ['second']);
  });
}

test('admission: a rejected pod and a pod no source has any more hold nothing', () => {
  const h = harness();
  const big = pod('big', 1, { cpu: '64', port: 7000 });
  const gone = pod('gone', 2, { port: 7001 });
  assert.deepEqual(h.add([big, gone]), ['gone']);
  // "gone" left its source: the current pods no longer list it.
  const next = [pod('n1', 3, { port: 7000 }), pod('n2', 4, { port: 7001 })];
  assert.deepEqual(h.add(next, [big, ...next]), ['n1', 'n2']);
});

test('admission: a pod the runtime already runs is admitted before one that only looks older', () => {
  const h = harness();
  // After a restart both files are first seen at once; "b" was admitted by the earlier run and has a sandbox.
  const a = pod('a', 10, { port: 8443 });
  const b = pod('b', 10, { port: 8443 });
  h.cache.set('uid-b', anObservedPod({ sandboxes: [aSandbox({ createdAt: T0 - 3_600_000 })] }, { uid: 'uid-b', name: 'b' }), T0);
  assert.deepEqual(h.add([a, b]), ['b']);
  assert.equal(h.statusManager.getPodStatus('uid-a')?.reason, 'NodePorts');
});

test('admissionOrder: by creation time, stable, the runtime’s first sandbox counting when earlier', () => {
  const pods = [pod('x', 5), pod('y', 3), pod('z', 5), pod('w', 4)];
  const since = (uid: string) => (uid === 'uid-z' ? T0 + 1000 : undefined);
  assert.deepEqual(admissionOrder(pods, since).map((p) => p.metadata!.name), ['z', 'y', 'w', 'x']);
  assert.deepEqual(admissionOrder(pods, () => undefined).map((p) => p.metadata!.name), ['y', 'w', 'x', 'z']);
});

test('admission: a UID its worker is still tearing down skips admission (the worker restarts it afterwards)', () => {
  const h = harness();
  const holder = pod('holder', 1, { port: 6000 });
  h.add([holder]);
  const back = pod('back', 2, { port: 6000 });
  h.states.set('uid-back', 'terminating');
  assert.deepEqual(h.add([back], [holder, back]), ['back']);
  assert.equal(h.admission.isRejected('uid-back'), false);
});

test('admission: removing a rejected pod forgets its status and events; an admitted one is left to its worker', () => {
  const h = harness();
  const big = pod('big', 1, { cpu: '64' });
  const small = pod('small', 2, { cpu: '10m' });
  h.add([big, small]);
  // A graceful delete (still listed): the rejected pod stays Failed, the admitted one keeps its place.
  assert.equal(h.admission.removed('uid-big', [big, small]), true);
  assert.equal(h.statusManager.getPodStatus('uid-big')?.phase, 'Failed');
  assert.equal(h.admission.removed('uid-small', [big, small]), false);
  const rival = pod('rival', 3, { cpu: '1995m' });
  assert.deepEqual(h.add([rival], [big, small, rival]), [], 'the gracefully deleted pod still holds its 10m');
  // Gone from the source.
  assert.equal(h.admission.removed('uid-small', []), false);
  assert.equal(h.admission.removed('uid-big', []), true);
  assert.equal(h.admission.isRejected('uid-big'), false);
  assert.equal(h.statusManager.getPodStatus('uid-big'), undefined);
  assert.deepEqual(h.recorder.eventsFor('uid-big'), []);
  // The UID comes back (its file restored, say): judged afresh, it fits now.
  assert.deepEqual(h.add([pod('big', 3, { cpu: '1' })]), ['big']);
});

test('rejectedStatus keeps the pod’s QoS class', () => {
  assert.equal(rejectedStatus(pod('g', 1, { guaranteed: true }), 'UnexpectedAdmissionError', 'm').qosClass, 'Guaranteed');
  assert.deepEqual(rejectedStatus(pod('b', 1, { cpu: '1' }), 'NodeAffinity', 'why'), { phase: 'Failed', reason: 'NodeAffinity', message: 'Pod was rejected: why', qosClass: 'Burstable' });
});

test('admission: a pod whose fields throw in an admit handler is rejected (UnexpectedAdmissionError, bounded), and the rest of the batch is admitted', () => {
  const h = harness();
  const odd = pod('odd', 1);
  // affinity is only checked to be an object: a list where admission walks terms throws there.
  odd.spec!.affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: 7 } } } as never;
  assert.deepEqual(h.add([odd, pod('fine', 2)]), ['fine']);
  const status = h.statusManager.getPodStatus('uid-odd')!;
  assert.equal(status.phase, 'Failed');
  assert.equal(status.reason, 'UnexpectedAdmissionError');
  assert.match(status.message!, /^Pod was rejected: Allocate failed due to .+, which is unexpected$/);
  assert.ok(status.message!.length <= 1100);
});
