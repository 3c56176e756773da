// makeEnvironmentVariables and command/args expansion: env order, $(VAR), downward API, ConfigMap/Secret lookups.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Container, V1EnvVar, V1Pod } from '@kubernetes/client-node';
import { expandCommandAndArgs, makeEnvironmentVariables, type EnvSources } from '../../src/podworker/translate/env.js';
import { ContainerConfigError } from '../../src/podworker/translate/errors.js';

const pod = (c: V1Container, extra: Partial<V1Pod['spec']> = {}): V1Pod => ({
  metadata: { name: 'web', namespace: 'prod', uid: 'u-1', labels: { b: '2', a: 'x"y' }, annotations: { note: 'hi' } },
  spec: { containers: [c], serviceAccountName: 'sa', ...extra },
});
const src: EnvSources = { nodeName: 'node-1', podIP: '10.0.0.5', podIPs: ['10.0.0.5', 'fd00::5'], hostIP: '192.168.1.2' };
const envOf = (env: V1EnvVar[], container: Partial<V1Container> = {}, s: EnvSources = src) => {
  const c: V1Container = { name: 'app', image: 'busybox', env, ...container };
  return Object.fromEntries(makeEnvironmentVariables(pod(c), c, s).map((e) => [e.key, e.value]));
};
const field = (name: string, fieldPath: string): V1EnvVar => ({ name, valueFrom: { fieldRef: { fieldPath } } });
const res = (name: string, resource: string, divisor?: string): V1EnvVar => ({
  name, valueFrom: { resourceFieldRef: { resource, ...(divisor ? { divisor } : {}) } },
});

const cases: { name: string; env: V1EnvVar[]; container?: Partial<V1Container>; src?: EnvSources; want: Record<string, string> }[] = [
  { name: 'plain values', env: [{ name: 'A', value: '1' }, { name: 'B' }], want: { A: '1', B: '' } },
  { name: 'a value refers to an EARLIER variable', env: [{ name: 'A', value: 'x' }, { name: 'B', value: '$(A)-y' }], want: { A: 'x', B: 'x-y' } },
  { name: 'a reference to a LATER variable stays as is', env: [{ name: 'B', value: '$(A)' }, { name: 'A', value: 'x' }], want: { B: '$(A)', A: 'x' } },
  { name: '$$(A) is the literal $(A)', env: [{ name: 'A', value: 'x' }, { name: 'B', value: '$$(A)' }], want: { A: 'x', B: '$(A)' } },
  { name: 'undefined $(X) is left as is', env: [{ name: 'A', value: '$(X)' }], want: { A: '$(X)' } },
  { name: 'a redefined name keeps its last value', env: [{ name: 'A', value: '1' }, { name: 'A', value: '2' }], want: { A: '2' } },
  {
    name: 'downward API: metadata fields',
    env: [field('N', 'metadata.name'), field('NS', 'metadata.namespace'), field('U', 'metadata.uid'), field('L', "metadata.labels['a']"), field('M', "metadata.annotations['missing']")],
    want: { N: 'web', NS: 'prod', U: 'u-1', L: 'x"y', M: '' },
  },
  { name: 'downward API: all labels sorted and quoted', env: [field('L', 'metadata.labels')], want: { L: 'a="x\\"y"\nb="2"' } },
  {
    name: 'downward API: spec and status fields',
    env: [field('NODE', 'spec.nodeName'), field('SA', 'spec.serviceAccountName'), field('IP', 'status.podIP'), field('IPS', 'status.podIPs'), field('H', 'status.hostIP'), field('HS', 'status.hostIPs')],
    want: { NODE: 'node-1', SA: 'sa', IP: '10.0.0.5', IPS: '10.0.0.5,fd00::5', H: '192.168.1.2', HS: '192.168.1.2' },
  },
  {
    name: 'resourceFieldRef: cpu rounds up to the divisor, memory in divisor units',
    env: [res('CPU', 'limits.cpu'), res('MCPU', 'limits.cpu', '1m'), res('REQ', 'requests.cpu', '1m'), res('MEM', 'limits.memory', '1Mi'), res('MEMB', 'requests.memory')],
    container: { resources: { limits: { cpu: '1500m', memory: '64Mi' }, requests: { cpu: '250m', memory: '1Ki' } } },
    want: { CPU: '2', MCPU: '1500', REQ: '250', MEM: '64', MEMB: '1024' },
  },
  {
    name: 'resourceFieldRef: an unset limit is the node allocatable; an unset request falls back to the limit',
    env: [res('CPU', 'limits.cpu'), res('MEM', 'limits.memory', '1Gi'), res('REQ', 'requests.memory', '1Mi')],
    container: { resources: { limits: { memory: '512Mi' } } },
    src: { ...src, allocatable: { cpu: '4', memory: '8Gi' } },
    want: { CPU: '4', MEM: '1', REQ: '512' },
  },
  {
    name: 'resourceFieldRef: a zero limit is the allocatable too; one the node lacks stays 0; divisor 0 means 1',
    env: [res('CPU', 'limits.cpu', '0'), res('EPH', 'limits.ephemeral-storage'), res('MEM', 'limits.memory', '1Mi')],
    container: { resources: { limits: { cpu: '0' } } },
    src: { ...src, allocatable: { cpu: '2', memory: '1Gi' } },
    want: { CPU: '2', EPH: '0', MEM: '1024' },
  },
  {
    name: 'envFrom with prefix comes first and env overrides it',
    env: [{ name: 'P_K1', value: 'env' }, { name: 'C', value: '$(P_K2)' }],
    container: { envFrom: [{ configMapRef: { name: 'cm' }, prefix: 'P_' }] },
    src: { ...src, configMaps: new Map([['cm', { K1: 'v1', K2: 'v2' }]]) },
    want: { P_K1: 'env', P_K2: 'v2', C: 'v2' },
  },
  {
    name: 'configMapKeyRef and secretKeyRef; optional ones that are missing are skipped',
    env: [
      { name: 'A', valueFrom: { configMapKeyRef: { name: 'cm', key: 'K1' } } },
      { name: 'S', valueFrom: { secretKeyRef: { name: 's', key: 'pw' } } },
      { name: 'O1', valueFrom: { configMapKeyRef: { name: 'cm', key: 'nope', optional: true } } },
      { name: 'O2', valueFrom: { secretKeyRef: { name: 'nope', key: 'k', optional: true } } },
    ],
    src: { ...src, configMaps: new Map([['cm', { K1: 'v1' }]]), secrets: new Map([['s', { pw: 'hunter2' }]]) },
    want: { A: 'v1', S: 'hunter2' },
  },
];

for (const c of cases) {
  test(`env: ${c.name}`, () => assert.deepEqual(envOf(c.env, c.container, c.src), c.want));
}

const errors: { name: string; env: V1EnvVar[]; container?: Partial<V1Container>; src?: EnvSources; message: RegExp }[] = [
  { name: 'a ConfigMap without an API server', env: [{ name: 'A', valueFrom: { configMapKeyRef: { name: 'cm', key: 'k' } } }], message: /couldn't get configMap prod\/cm, no API server client configured/ },
  { name: 'a missing ConfigMap', env: [{ name: 'A', valueFrom: { configMapKeyRef: { name: 'cm', key: 'k' } } }], src: { ...src, configMaps: new Map() }, message: /^configmap "cm" not found$/ },
  { name: 'a missing key', env: [{ name: 'A', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }], src: { ...src, secrets: new Map([['s', {}]]) }, message: /couldn't find key k in Secret prod\/s/ },
  { name: 'an unsupported fieldPath', env: [field('X', 'spec.schedulerName')], message: /unsupported fieldPath: spec.schedulerName/ },
  { name: 'an unset limit without allocatable', env: [res('C', 'limits.cpu')], message: /limits.cpu is not set and the node's allocatable resources are unknown/ },
  { name: 'an unsupported resource', env: [res('C', 'limits.gpu')], container: { resources: { limits: { gpu: '1' } } }, message: /unsupported container resource : limits.gpu/ },
];
for (const e of errors) {
  test(`env error: ${e.name}`, () => {
    assert.throws(() => envOf(e.env, e.container, e.src), (err: unknown) => err instanceof ContainerConfigError && e.message.test(err.message));
  });
}

test('command and args expand from the final environment, $$ escapes, unknown stays', () => {
  const c: V1Container = { name: 'app', command: ['sh', '-c', 'echo $(MSG) $$(MSG) $(NOPE)'], args: ['$(LATE)'] };
  const envs = [{ key: 'MSG', value: 'hi' }, { key: 'LATE', value: 'from envFrom or later' }];
  assert.deepEqual(expandCommandAndArgs(c, envs), { command: ['sh', '-c', 'echo hi $(MSG) $(NOPE)'], args: ['from envFrom or later'] });
  assert.deepEqual(expandCommandAndArgs({ name: 'x' }, envs), {});
});
