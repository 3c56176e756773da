// Sandbox and container labels/annotations: the kubelet's io.kubernetes.* keys plus the ownership labels.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { newContainerAnnotations, newContainerLabels, newPodAnnotations, newPodLabels } from '../../src/podworker/translate/labels.js';
import { hashContainer } from '../../src/podworker/translate/hash.js';

const container: V1Container = {
  name: 'app',
  image: 'busybox:1.36',
  terminationMessagePath: '/dev/termination-log',
  terminationMessagePolicy: 'FallbackToLogsOnError',
  ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
  lifecycle: { preStop: { exec: { command: ['sleep', '5'] } } },
};
const pod: V1Pod = {
  metadata: { name: 'web', namespace: 'prod', uid: 'u-1', labels: { app: 'web', 'io.kubernetes.pod.name': 'spoof' }, annotations: { a: '1' } },
  spec: { containers: [container], terminationGracePeriodSeconds: 45 },
};

test('newPodLabels: the pod labels, identity keys (which win over the pod’s own), ownership', () => {
  assert.deepEqual(newPodLabels(pod, 'node-1'), {
    app: 'web',
    'io.kubernetes.pod.name': 'web',
    'io.kubernetes.pod.namespace': 'prod',
    'io.kubernetes.pod.uid': 'u-1',
    'mini-kubelet.io/managed-by': 'mini-kubelet',
    'mini-kubelet.io/node-name': 'node-1',
  });
});

test('newPodAnnotations: a copy of the pod annotations', () => {
  const a = newPodAnnotations(pod);
  assert.deepEqual(a, { a: '1' });
  assert.notEqual(a, pod.metadata!.annotations);
});

const labelCases: { name: string; kind: 'init' | 'sidecar' | 'regular' }[] = [
  { name: 'regular', kind: 'regular' },
  { name: 'init', kind: 'init' },
  { name: 'sidecar', kind: 'sidecar' },
];
for (const c of labelCases) {
  test(`newContainerLabels (${c.name}): identity, container name, ownership and container type; no user labels`, () => {
    assert.deepEqual(newContainerLabels(container, pod, 'node-1', c.kind), {
      'io.kubernetes.pod.name': 'web',
      'io.kubernetes.pod.namespace': 'prod',
      'io.kubernetes.pod.uid': 'u-1',
      'io.kubernetes.container.name': 'app',
      'mini-kubelet.io/managed-by': 'mini-kubelet',
      'mini-kubelet.io/node-name': 'node-1',
      'mini-kubelet.io/container-type': c.kind,
    });
  });
}

test('newContainerAnnotations: hash, restartCount, termination message, grace period, preStop and ports as JSON', () => {
  assert.deepEqual(newContainerAnnotations(container, pod, 3), {
    'io.kubernetes.container.hash': hashContainer(container),
    'io.kubernetes.container.restartCount': '3',
    'io.kubernetes.container.terminationMessagePath': '/dev/termination-log',
    'io.kubernetes.container.terminationMessagePolicy': 'FallbackToLogsOnError',
    'io.kubernetes.pod.terminationGracePeriod': '45',
    'io.kubernetes.container.preStopHandler': '{"exec":{"command":["sleep","5"]}}',
    'io.kubernetes.container.ports': '[{"name":"http","containerPort":8080,"protocol":"TCP"}]',
  });
});

test('newContainerAnnotations: optional keys are absent when the spec has none; deletion grace period when set', () => {
  const bare: V1Container = { name: 'x', image: 'busybox' };
  const deleted: V1Pod = { metadata: { ...pod.metadata, deletionGracePeriodSeconds: 0 }, spec: { containers: [bare] } };
  const a = newContainerAnnotations(bare, deleted, 0);
  assert.deepEqual(Object.keys(a).sort(), [
    'io.kubernetes.container.hash',
    'io.kubernetes.container.restartCount',
    'io.kubernetes.container.terminationMessagePath',
    'io.kubernetes.container.terminationMessagePolicy',
    'io.kubernetes.pod.deletionGracePeriod',
  ]);
  assert.equal(a['io.kubernetes.pod.deletionGracePeriod'], '0');
});
