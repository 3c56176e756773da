// The `get pods` columns against kubectl's printPod: READY, STATUS and RESTARTS as named table cases, then the table layout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1ContainerState, V1ContainerStatus, V1Pod, V1PodCondition } from '@kubernetes/client-node';
import { formatPodTable, summarizePod } from '../../src/cli/format-pods.js';
import { TableLayout } from '../../src/cli/format-table.js';

const NOW = Date.parse('2024-05-01T10:00:00Z');
const ago = (s: number) => new Date(NOW - s * 1000).toISOString();

type CS = Partial<V1ContainerStatus> & { state?: V1ContainerState };
const running = (name: string, extra: CS = {}): CS => ({ name, ready: true, started: true, state: { running: { startedAt: ago(60) as never } }, ...extra });
const waiting = (name: string, reason: string, extra: CS = {}): CS => ({ name, ready: false, state: { waiting: { reason } }, ...extra });
const terminated = (name: string, t: { exitCode: number; reason?: string; signal?: number }, extra: CS = {}): CS => ({
  name, ready: false, state: { terminated: t }, ...extra,
});
const crashed = (secondsAgo: number) => ({ terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(secondsAgo) as never } });

interface PodShape {
  containers?: string[];
  init?: { name: string; sidecar?: boolean }[];
  phase?: string;
  reason?: string;
  conditions?: Record<string, string | { status: string; reason?: string }>;
  statuses?: CS[];
  initStatuses?: CS[];
  deleting?: boolean;
}

function pod(shape: PodShape): V1Pod {
  const conditions: V1PodCondition[] = Object.entries(shape.conditions ?? {}).map(([type, c]) =>
    typeof c === 'string' ? { type, status: c } : { type, ...c });
  const fill = (cs: CS): V1ContainerStatus => ({ image: 'busybox', imageID: '', restartCount: 0, ready: false, name: '', ...cs });
  return {
    metadata: { name: 'p', namespace: 'default', creationTimestamp: ago(300) as never, deletionTimestamp: shape.deleting ? (ago(1) as never) : undefined },
    spec: {
      containers: (shape.containers ?? ['main']).map((name) => ({ name })),
      initContainers: shape.init?.map((c) => ({ name: c.name, restartPolicy: c.sidecar ? 'Always' : undefined })),
    },
    status: {
      phase: shape.phase ?? 'Running',
      reason: shape.reason,
      conditions,
      containerStatuses: shape.statuses?.map(fill),
      initContainerStatuses: shape.initStatuses?.map(fill),
    },
  };
}

const cases: [name: string, shape: PodShape, want: { ready: string; status: string; restarts: string }][] = [
  ['running and ready', { statuses: [running('main')], conditions: { Ready: 'True' } }, { ready: '1/1', status: 'Running', restarts: '0' }],
  ['pending without statuses shows the phase', { phase: 'Pending' }, { ready: '0/1', status: 'Pending', restarts: '0' }],
  ['creating the container', { phase: 'Pending', statuses: [waiting('main', 'ContainerCreating')] }, { ready: '0/1', status: 'ContainerCreating', restarts: '0' }],
  ['image pull error', { phase: 'Pending', statuses: [waiting('main', 'ErrImagePull')] }, { ready: '0/1', status: 'ErrImagePull', restarts: '0' }],
  ['image pull back-off', { phase: 'Pending', statuses: [waiting('main', 'ImagePullBackOff')] }, { ready: '0/1', status: 'ImagePullBackOff', restarts: '0' }],
  ['crash loop with the last restart age', { statuses: [waiting('main', 'CrashLoopBackOff', { restartCount: 5, lastState: crashed(12) })] },
    { ready: '0/1', status: 'CrashLoopBackOff', restarts: '5 (12s ago)' }],
  ['restarts without a last termination show no age', { statuses: [running('main', { restartCount: 3 })] }, { ready: '1/1', status: 'Running', restarts: '3' }],
  ['completed', { phase: 'Succeeded', statuses: [terminated('main', { exitCode: 0, reason: 'Completed' })] }, { ready: '0/1', status: 'Completed', restarts: '0' }],
  ['error', { phase: 'Failed', statuses: [terminated('main', { exitCode: 1, reason: 'Error' })] }, { ready: '0/1', status: 'Error', restarts: '0' }],
  ['OOMKilled', { phase: 'Running', statuses: [terminated('main', { exitCode: 137, reason: 'OOMKilled' })] }, { ready: '0/1', status: 'OOMKilled', restarts: '0' }],
  ['terminated without a reason shows the exit code', { statuses: [terminated('main', { exitCode: 3 })] }, { ready: '0/1', status: 'ExitCode:3', restarts: '0' }],
  ['terminated by a signal without a reason', { statuses: [terminated('main', { exitCode: 137, signal: 9 })] }, { ready: '0/1', status: 'Signal:9', restarts: '0' }],
  ['the first container\'s reason wins', { containers: ['a', 'b'], statuses: [waiting('a', 'CrashLoopBackOff'), running('b')] },
    { ready: '1/2', status: 'CrashLoopBackOff', restarts: '0' }],
  ['restarts add up, the age is the latest', { containers: ['a', 'b'],
    statuses: [running('a', { restartCount: 2, lastState: crashed(300) }), running('b', { restartCount: 1, lastState: crashed(40) })], conditions: { Ready: 'True' } },
    { ready: '2/2', status: 'Running', restarts: '3 (40s ago)' }],
  ['one container completed, one running, pod Ready: Running', { containers: ['job', 'web'],
    statuses: [terminated('job', { exitCode: 0, reason: 'Completed' }), running('web')], conditions: { Ready: 'True' } },
    { ready: '1/2', status: 'Running', restarts: '0' }],
  ['one container completed, one running, pod not Ready: NotReady', { containers: ['job', 'web'],
    statuses: [terminated('job', { exitCode: 0, reason: 'Completed' }), running('web')], conditions: { Ready: { status: 'False', reason: 'ContainersNotReady' } } },
    { ready: '1/2', status: 'NotReady', restarts: '0' }],
  ['running but not ready yet counts 0 ready', { statuses: [running('main', { ready: false })] }, { ready: '0/1', status: 'Running', restarts: '0' }],
  ['pod-level reason (evicted)', { phase: 'Failed', reason: 'Evicted' }, { ready: '0/1', status: 'Evicted', restarts: '0' }],
  ['first init container running', { phase: 'Pending', init: [{ name: 'i1' }, { name: 'i2' }],
    initStatuses: [running('i1', { ready: false }), waiting('i2', 'PodInitializing')], statuses: [waiting('main', 'PodInitializing')] },
    { ready: '0/1', status: 'Init:0/2', restarts: '0' }],
  ['second init container running', { phase: 'Pending', init: [{ name: 'i1' }, { name: 'i2' }],
    initStatuses: [terminated('i1', { exitCode: 0, reason: 'Completed' }), running('i2', { ready: false })], statuses: [waiting('main', 'PodInitializing')] },
    { ready: '0/1', status: 'Init:1/2', restarts: '0' }],
  ['init container crash looping, init restarts count', { phase: 'Pending', init: [{ name: 'i1' }],
    initStatuses: [waiting('i1', 'CrashLoopBackOff', { restartCount: 4, lastState: crashed(8) })], statuses: [waiting('main', 'PodInitializing')] },
    { ready: '0/1', status: 'Init:CrashLoopBackOff', restarts: '4 (8s ago)' }],
  ['init container failed', { phase: 'Failed', init: [{ name: 'i1' }], initStatuses: [terminated('i1', { exitCode: 1, reason: 'Error' })] },
    { ready: '0/1', status: 'Init:Error', restarts: '0' }],
  ['init container failed without a reason', { phase: 'Pending', init: [{ name: 'i1' }], initStatuses: [terminated('i1', { exitCode: 2 })] },
    { ready: '0/1', status: 'Init:ExitCode:2', restarts: '0' }],
  ['init container killed by a signal', { phase: 'Pending', init: [{ name: 'i1' }], initStatuses: [terminated('i1', { exitCode: 143, signal: 15 })] },
    { ready: '0/1', status: 'Init:Signal:15', restarts: '0' }],
  ['init done, containers starting', { phase: 'Pending', init: [{ name: 'i1' }], conditions: { Initialized: 'True' },
    initStatuses: [terminated('i1', { exitCode: 0, reason: 'Completed' })], statuses: [waiting('main', 'PodInitializing')] },
    { ready: '0/1', status: 'PodInitializing', restarts: '0' }],
  ['sidecar started and ready counts as a container', { init: [{ name: 'proxy', sidecar: true }], conditions: { Initialized: 'True', Ready: 'True' },
    initStatuses: [running('proxy', { restartCount: 2, lastState: crashed(30) })], statuses: [running('main')] },
    { ready: '2/2', status: 'Running', restarts: '2 (30s ago)' }],
  ['sidecar not started yet holds initialization', { phase: 'Pending', init: [{ name: 'proxy', sidecar: true }],
    initStatuses: [running('proxy', { started: false, ready: false })], statuses: [waiting('main', 'PodInitializing')] },
    { ready: '0/2', status: 'Init:0/1', restarts: '0' }],
  ['scheduling gated', { phase: 'Pending', conditions: { PodScheduled: { status: 'False', reason: 'SchedulingGated' } } },
    { ready: '0/1', status: 'SchedulingGated', restarts: '0' }],
  ['deleting a running pod', { deleting: true, statuses: [running('main')], conditions: { Ready: 'True' } }, { ready: '1/1', status: 'Terminating', restarts: '0' }],
  ['deleting a succeeded pod keeps Completed', { deleting: true, phase: 'Succeeded', statuses: [terminated('main', { exitCode: 0, reason: 'Completed' })] },
    { ready: '0/1', status: 'Completed', restarts: '0' }],
  ['deleting a pod on a lost node', { deleting: true, reason: 'NodeLost', statuses: [running('main')] }, { ready: '1/1', status: 'Unknown', restarts: '0' }],
];

for (const [name, shape, want] of cases) {
  test(`printPod: ${name}`, () => assert.deepEqual(summarizePod(pod(shape), NOW), want));
}

function namedPod(name: string, namespace: string, opts: { ip?: string; created: number; status?: CS[] }): V1Pod {
  const p = pod({ statuses: opts.status ?? [running('main')], conditions: { Ready: 'True' } });
  p.metadata = { name, namespace, creationTimestamp: ago(opts.created) as never };
  p.spec!.nodeName = 'node-1';
  p.status!.podIPs = opts.ip ? [{ ip: opts.ip }] : undefined;
  return p;
}

test('the table lines up like kubectl (tabwriter: padding 3, minimum width 6)', () => {
  const pods = [
    namedPod('web', 'default', { ip: '10.88.0.2', created: 5 }),
    namedPod('crashy-worker', 'default', { created: 3 * 3600, status: [waiting('main', 'CrashLoopBackOff', { restartCount: 12, lastState: crashed(12) })] }),
  ];
  assert.equal(
    formatPodTable(pods, { now: NOW }),
    [
      'NAME            READY   STATUS             RESTARTS       AGE   IP',
      'web             1/1     Running            0              5s    10.88.0.2',
      'crashy-worker   0/1     CrashLoopBackOff   12 (12s ago)   3h    <none>',
      '',
    ].join('\n'),
  );
});

test('all namespaces adds NAMESPACE first; wide adds NODE, NOMINATED NODE, READINESS GATES', () => {
  const p = namedPod('web', 'kube-system', { ip: '10.88.0.2', created: 125 });
  p.spec!.readinessGates = [{ conditionType: 'example.com/lb' }];
  p.status!.conditions!.push({ type: 'example.com/lb', status: 'True' });
  assert.equal(
    formatPodTable([p], { now: NOW, wide: true, withNamespace: true }),
    'NAMESPACE     NAME   READY   STATUS    RESTARTS   AGE    IP          NODE     NOMINATED NODE   READINESS GATES\n' +
      'kube-system   web    1/1     Running   0          2m5s   10.88.0.2   node-1   <none>           1/1\n',
  );
});

test('a layout remembers its widths, so later rows stay aligned (get -w)', () => {
  const layout = new TableLayout();
  layout.format([['NAME', 'STATUS', 'AGE'], ['a-long-pod-name', 'Running', '1s']]);
  assert.equal(layout.format([['b', 'Completed', '2s']]), 'b                 Completed   2s\n');
});
