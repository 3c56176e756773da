// encodePod against client-node's ObjectSerializer (the reference it replaces): the same wire object, key for key and in the same order.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Pod } from '@kubernetes/client-node';
import { ObjectSerializer } from '@kubernetes/client-node/dist/serializer.js';
import { encodePod, encodePodListJSON, rfc3339 } from '../../src/server/encode.js';

/** The previous encoder: Dates to RFC3339 everywhere, then the generated serializer, then a JSON round trip. */
function reference(pod: V1Pod): Record<string, unknown> {
  const times = (v: unknown): unknown => {
    if (v instanceof Date) return rfc3339(v);
    if (Array.isArray(v)) return v.map(times);
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, times(x)]));
    return v;
  };
  const wire = ObjectSerializer.serialize(times(pod), 'V1Pod') as Record<string, unknown>;
  const { apiVersion: _a, kind: _k, ...rest } = JSON.parse(JSON.stringify(wire)) as Record<string, unknown>;
  return { apiVersion: 'v1', kind: 'Pod', ...rest };
}

const at = new Date('2026-03-04T05:06:07.890Z');

function richPod(): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'web-node-1',
      namespace: 'default',
      uid: 'u-1',
      labels: { app: 'web' },
      annotations: { 'kubernetes.io/config.source': 'file' },
      creationTimestamp: at,
      ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'node-1', uid: 'n-1', controller: true }],
    },
    spec: {
      nodeName: 'node-1',
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      dnsConfig: { nameservers: ['1.1.1.1'], options: [{ name: 'ndots', value: '2' }] },
      securityContext: { runAsUser: 1000, sysctls: [{ name: 'net.core.somaxconn', value: '1024' }], seccompProfile: { type: 'RuntimeDefault' } },
      tolerations: [{ key: 'k', operator: 'Exists', effect: 'NoSchedule', tolerationSeconds: 5 }],
      initContainers: [{ name: 'init', image: 'busybox:1.36', command: ['true'], restartPolicy: 'Always' }],
      containers: [
        {
          name: 'app',
          image: 'busybox:1.36',
          args: ['$(GREETING)'],
          ports: [{ name: 'http', containerPort: 80, protocol: 'TCP' }],
          env: [
            { name: 'GREETING', value: 'hi' },
            { name: 'POD_IP', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'status.podIP' } } },
            { name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
          ],
          resources: { limits: { cpu: '500m', memory: '64Mi' }, requests: { cpu: '100m' } },
          livenessProbe: { httpGet: { path: '/healthz', port: 'http', httpHeaders: [{ name: 'X', value: 'y' }] }, periodSeconds: 5 },
          readinessProbe: { tcpSocket: { port: 80 } },
          lifecycle: { preStop: { exec: { command: ['sh', '-c', 'sleep 1'] } } },
          volumeMounts: [{ name: 'data', mountPath: '/data', readOnly: true }],
          securityContext: { capabilities: { add: ['NET_ADMIN'], drop: ['ALL'] }, readOnlyRootFilesystem: true },
          terminationMessagePath: '/dev/termination-log',
          imagePullPolicy: 'IfNotPresent',
        },
      ],
      volumes: [
        { name: 'data', emptyDir: { sizeLimit: '1Gi' } },
        { name: 'host', hostPath: { path: '/tmp', type: 'DirectoryOrCreate' } },
        { name: 'cfg', configMap: { name: 'c', items: [{ key: 'a', path: 'a.txt', mode: 0o644 }] } },
      ],
    },
    status: {
      phase: 'Running',
      hostIP: '10.0.0.1',
      hostIPs: [{ ip: '10.0.0.1' }],
      podIP: '10.88.0.5',
      podIPs: [{ ip: '10.88.0.5' }],
      startTime: at,
      qosClass: 'Burstable',
      conditions: [
        { type: 'PodReadyToStartContainers', status: 'True', lastTransitionTime: at },
        { type: 'Ready', status: 'False', reason: 'ContainersNotReady', lastProbeTime: undefined, lastTransitionTime: at },
      ],
      initContainerStatuses: [
        { name: 'init', image: 'busybox:1.36', imageID: 'sha256:1', ready: true, restartCount: 0, started: true, state: { running: { startedAt: at } } },
      ],
      containerStatuses: [
        {
          name: 'app',
          image: 'busybox:1.36',
          imageID: 'sha256:1',
          containerID: 'containerd://abc',
          ready: false,
          restartCount: 2,
          started: false,
          state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 20s' } },
          lastState: { terminated: { exitCode: 3, reason: 'Error', startedAt: at, finishedAt: new Date(at.getTime() + 1500), containerID: 'containerd://abb' } },
        },
      ],
    },
  };
}

const cases: { name: string; pod: () => V1Pod }[] = [
  { name: 'a rich running pod (nested models, maps, IntOrString, quantities, Dates)', pod: richPod },
  {
    name: 'unknown fields at every level are left out',
    pod: () => {
      const p = richPod() as unknown as Record<string, Record<string, unknown>>;
      p.extra = { a: 1 };
      p.spec!.futureField = true;
      ((p.spec!.containers as Record<string, unknown>[])[0]!).bogus = 'x';
      p.status!.agentCache = { sandboxId: 'abc' };
      return p as unknown as V1Pod;
    },
  },
  {
    name: 'null and undefined fields, an invalid Date, empty lists and maps',
    pod: () => {
      const p = richPod();
      (p.metadata as Record<string, unknown>).labels = null;
      p.metadata!.annotations = {};
      p.spec!.volumes = [];
      p.status!.startTime = new Date(Number.NaN);
      p.status!.message = undefined;
      return p;
    },
  },
  { name: 'a bare pod: no status, no apiVersion or kind', pod: () => ({ metadata: { name: 'bare' }, spec: { containers: [{ name: 'c', image: 'i' }] } }) },
  {
    name: 'a Date inside a free-form (any) field is still RFC3339',
    pod: () => {
      const p = richPod();
      (p.spec!.containers[0]!.lifecycle!.preStop as Record<string, unknown>).sleep = { seconds: 1 };
      (p.metadata!.annotations as Record<string, unknown>)['when'] = at as unknown as string;
      return p;
    },
  },
];

describe('encodePod matches the ObjectSerializer encoding', () => {
  for (const c of cases) {
    test(c.name, () => {
      const pod = c.pod();
      const want = reference(c.pod());
      const got = encodePod(pod);
      assert.deepStrictEqual(got, want);
      assert.equal(JSON.stringify(got), JSON.stringify(want), 'same keys in the same order');
    });
  }

  test('encoding does not change the pod it was given', () => {
    const pod = richPod();
    const before = structuredClone(pod);
    encodePod(pod);
    assert.deepStrictEqual(pod, before);
  });

  test('a list is sorted by namespace and name', () => {
    const a = richPod();
    const b = { ...richPod(), metadata: { ...richPod().metadata, name: 'a', namespace: 'default' } };
    const list = JSON.parse(encodePodListJSON([a, b])) as Record<string, unknown>;
    assert.deepEqual((list.items as { metadata: { name: string } }[]).map((p) => p.metadata.name), ['a', 'web-node-1']);
  });
});
