// Tests for applyPodDefaults: each API-server default as a named case, and idempotence as a property.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { applyPodDefaults, defaultImagePullPolicy } from '../../src/config/defaults.js';

const pod = (c: Partial<V1Container> = {}, spec: Partial<V1Pod['spec']> = {}): V1Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p' },
  spec: { containers: [{ name: 'app', image: 'busybox:1.36', ...c }], ...spec },
});
const ctr = (p: V1Pod) => applyPodDefaults(p).spec!.containers[0]!;

test('pod-level defaults', () => {
  const spec = applyPodDefaults(pod()).spec!;
  assert.equal(spec.restartPolicy, 'Always');
  assert.equal(spec.terminationGracePeriodSeconds, 30);
  assert.equal(spec.dnsPolicy, 'ClusterFirst');
  assert.equal(spec.schedulerName, 'default-scheduler');
  assert.deepEqual(spec.securityContext, {});
  assert.equal(spec.enableServiceLinks, true);
  assert.equal(spec.priority, undefined, 'a static pod keeps no priority unless it writes one');
});

test('pod-level values that are set are kept (including 0 grace and false service links)', () => {
  const spec = applyPodDefaults(pod({}, { restartPolicy: 'Never', terminationGracePeriodSeconds: 0, enableServiceLinks: false, dnsPolicy: 'Default' })).spec!;
  assert.equal(spec.restartPolicy, 'Never');
  assert.equal(spec.terminationGracePeriodSeconds, 0);
  assert.equal(spec.enableServiceLinks, false);
  assert.equal(spec.dnsPolicy, 'Default');
});

const pullCases: Array<[name: string, image: string, want: string]> = [
  ['no tag', 'busybox', 'Always'],
  ['latest tag', 'busybox:latest', 'Always'],
  ['fixed tag', 'busybox:1.36', 'IfNotPresent'],
  ['registry port, no tag', 'localhost:5000/app', 'Always'],
  ['registry port and tag', 'localhost:5000/app:v1', 'IfNotPresent'],
  ['digest counts as a tag', 'busybox@sha256:' + 'a'.repeat(64), 'IfNotPresent'],
  ['latest with a digest stays latest', 'busybox:latest@sha256:' + 'a'.repeat(64), 'Always'],
];
for (const [name, image, want] of pullCases) {
  test(`imagePullPolicy: ${name}`, () => {
    assert.equal(defaultImagePullPolicy(image), want);
    assert.equal(ctr(pod({ image })).imagePullPolicy, want);
  });
}

test('imagePullPolicy: an explicit policy is kept', () => {
  assert.equal(ctr(pod({ image: 'busybox', imagePullPolicy: 'Never' })).imagePullPolicy, 'Never');
});

test('container defaults: termination message, port protocol, init containers too', () => {
  const p = pod({ ports: [{ containerPort: 80 }] }, { initContainers: [{ name: 'init', image: 'busybox' }] });
  applyPodDefaults(p);
  for (const c of [p.spec!.containers[0]!, p.spec!.initContainers![0]!]) {
    assert.equal(c.terminationMessagePath, '/dev/termination-log');
    assert.equal(c.terminationMessagePolicy, 'File');
  }
  assert.equal(p.spec!.containers[0]!.ports![0]!.protocol, 'TCP');
  assert.equal(p.spec!.initContainers![0]!.imagePullPolicy, 'Always');
});

test('probe defaults: timings, httpGet path and scheme, grpc service; zero counts as unset', () => {
  const c = ctr(pod({
    livenessProbe: { httpGet: { port: 8080 } },
    readinessProbe: { grpc: { port: 9000 }, periodSeconds: 0, failureThreshold: 5 },
    startupProbe: { tcpSocket: { port: 80 } },
  }));
  assert.deepEqual(c.livenessProbe, { httpGet: { port: 8080, path: '/', scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 });
  assert.deepEqual(c.readinessProbe, { grpc: { port: 9000, service: '' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 5 });
  assert.equal(c.startupProbe!.periodSeconds, 10);
});

test('lifecycle httpGet handlers get path and scheme too', () => {
  const c = ctr(pod({ lifecycle: { preStop: { httpGet: { port: 80, path: '/quit' } } } }));
  assert.deepEqual(c.lifecycle!.preStop!.httpGet, { port: 80, path: '/quit', scheme: 'HTTP' });
});

test('env fieldRef apiVersion defaults to v1', () => {
  const c = ctr(pod({ env: [{ name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }] }));
  assert.equal(c.env![0]!.valueFrom!.fieldRef!.apiVersion, 'v1');
});

test('resources: limits become requests where a request is missing; numbers become strings', () => {
  const c = ctr(pod({ resources: { limits: { cpu: 2 as unknown as string, memory: '128Mi' }, requests: { cpu: '500m' } } }));
  assert.deepEqual(c.resources, { limits: { cpu: '2', memory: '128Mi' }, requests: { cpu: '500m', memory: '128Mi' } });
});

test('resources: requests alone are left alone', () => {
  assert.deepEqual(ctr(pod({ resources: { requests: { cpu: '1' } } })).resources, { requests: { cpu: '1' } });
});

test('hostNetwork: hostPort defaults to containerPort', () => {
  const c = ctr(pod({ ports: [{ containerPort: 8080 }] }, { hostNetwork: true }));
  assert.equal(c.ports![0]!.hostPort, 8080);
  assert.equal(ctr(pod({ ports: [{ containerPort: 8080 }] })).ports![0]!.hostPort, undefined);
});

test('volume defaults', () => {
  const p = pod({}, {
    volumes: [
      { name: 'bare' },
      { name: 'host', hostPath: { path: '/var/log' } },
      { name: 'cm', configMap: { name: 'c' } },
      { name: 'sec', secret: { secretName: 's' } },
      { name: 'dapi', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
      { name: 'proj', projected: { sources: [] } },
      { name: 'mode', configMap: { name: 'c', defaultMode: 0o400 } },
    ],
  });
  const v = applyPodDefaults(p).spec!.volumes!;
  assert.deepEqual(v[0], { name: 'bare', emptyDir: {} });
  assert.equal(v[1]!.hostPath!.type, '');
  assert.equal(v[2]!.configMap!.defaultMode, 420);
  assert.equal(v[3]!.secret!.defaultMode, 420);
  assert.equal(v[4]!.downwardAPI!.defaultMode, 420);
  assert.equal(v[4]!.downwardAPI!.items![0]!.fieldRef!.apiVersion, 'v1');
  assert.equal(v[5]!.projected!.defaultMode, 420);
  assert.equal(v[6]!.configMap!.defaultMode, 0o400);
});

test('a volume with only an unknown key is an emptyDir (Go drops unknown fields)', () => {
  const p = pod({}, { volumes: [{ name: 'typo', emptydir: {} } as never] });
  assert.deepEqual(applyPodDefaults(p).spec!.volumes![0]!.emptyDir, {});
});

// Property: defaulting a defaulted pod changes nothing (the API server may default twice).
const probeArb = fc.option(fc.oneof(
  fc.record({ httpGet: fc.record({ port: fc.integer({ min: 1, max: 65535 }) }, { requiredKeys: ['port'] }) }),
  fc.record({ exec: fc.record({ command: fc.array(fc.string(), { maxLength: 2 }) }) }),
  fc.record({ grpc: fc.record({ port: fc.integer({ min: 1, max: 65535 }) }), periodSeconds: fc.integer({ min: 0, max: 5 }) }),
), { nil: undefined });
const containerArb = fc.record({
  name: fc.constantFrom('a', 'b', 'c'),
  image: fc.constantFrom('busybox', 'busybox:latest', 'busybox:1.36', 'r:5000/x', 'x@sha256:abc'),
  imagePullPolicy: fc.option(fc.constantFrom('Always', 'Never'), { nil: undefined }),
  ports: fc.option(fc.array(fc.record({ containerPort: fc.integer({ min: 1, max: 65535 }), protocol: fc.option(fc.constantFrom('UDP'), { nil: undefined }) }), { maxLength: 2 }), { nil: undefined }),
  livenessProbe: probeArb,
  resources: fc.option(fc.record({
    limits: fc.option(fc.dictionary(fc.constantFrom('cpu', 'memory'), fc.constantFrom('1', '64Mi')), { nil: undefined }),
    requests: fc.option(fc.dictionary(fc.constantFrom('cpu', 'memory'), fc.constantFrom('100m')), { nil: undefined }),
  }, { requiredKeys: [] }), { nil: undefined }),
}, { requiredKeys: ['name', 'image'] });
const podArb = fc.record({
  containers: fc.array(containerArb, { minLength: 1, maxLength: 3 }),
  initContainers: fc.option(fc.array(containerArb, { maxLength: 2 }), { nil: undefined }),
  hostNetwork: fc.option(fc.boolean(), { nil: undefined }),
  restartPolicy: fc.option(fc.constantFrom('Never', 'OnFailure'), { nil: undefined }),
  volumes: fc.option(fc.array(fc.oneof(
    fc.record({ name: fc.constant('v') }),
    fc.record({ name: fc.constant('h'), hostPath: fc.record({ path: fc.constant('/tmp') }) }),
    fc.record({ name: fc.constant('s'), secret: fc.record({ secretName: fc.constant('x') }) }),
  ), { maxLength: 3 }), { nil: undefined }),
}, { requiredKeys: ['containers'] }).map((spec): V1Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: JSON.parse(JSON.stringify(spec)) }));

test('property: applyPodDefaults is idempotent', () => {
  fc.assert(fc.property(podArb, (p) => {
    const once = applyPodDefaults(p);
    const twice = applyPodDefaults(structuredClone(once));
    assert.deepEqual(twice, once);
  }), { numRuns: 300 });
});

test('property: defaulting only adds, never changes a value that was set', () => {
  fc.assert(fc.property(podArb, (p) => {
    const before = structuredClone(p);
    const after = applyPodDefaults(p);
    before.spec!.containers.forEach((c, i) => {
      if (c.imagePullPolicy) assert.equal(after.spec!.containers[i]!.imagePullPolicy, c.imagePullPolicy);
      (c.ports ?? []).forEach((port, j) => {
        if (port.protocol) assert.equal(after.spec!.containers[i]!.ports![j]!.protocol, port.protocol);
      });
    });
    if (before.spec!.restartPolicy) assert.equal(after.spec!.restartPolicy, before.spec!.restartPolicy);
  }), { numRuns: 200 });
});
