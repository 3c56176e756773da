// The environment from the cluster: ConfigMap/Secret read errors, envFrom keys that are no valid names, the service links in the kubelet's format and order.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { V1Container, V1Pod, V1Service, V1ServicePort } from '@kubernetes/client-node';
import { EnvObjectError, isEnvVarName, makeEnvironmentVariables, type EnvSources } from '../../src/podworker/translate/env.js';
import { ContainerConfigError } from '../../src/podworker/translate/errors.js';
import { serviceEnvVarMap } from '../../src/podworker/translate/service-env.js';

const pod = (c: V1Container, enableServiceLinks?: boolean): V1Pod => ({
  metadata: { name: 'web', namespace: 'prod', uid: 'u-1' },
  spec: { containers: [c], ...(enableServiceLinks === undefined ? {} : { enableServiceLinks }) },
});
const base: EnvSources = { nodeName: 'n', configMaps: new Map(), secrets: new Map(), services: { hasSynced: true, env: new Map() } };
const svc = (namespace: string, name: string, clusterIP: string, ports: V1ServicePort[]): V1Service => ({
  metadata: { namespace, name }, spec: { clusterIP, ports },
});
const services = [
  svc('default', 'kubernetes', '10.96.0.1', [{ name: 'https', port: 443, protocol: 'TCP' }]),
  svc('prod', 'my-db', '10.96.0.7', [{ port: 5432 }, { name: 'metrics', port: 9187, protocol: 'UDP' }]),
  svc('prod', 'headless', 'None', [{ port: 80 }]),
  svc('other', 'elsewhere', '10.96.0.9', [{ port: 80 }]),
];

test('service links: the master service always, the namespace\'s with enableServiceLinks, in envvars.FromServices format', () => {
  const env = Object.fromEntries(serviceEnvVarMap(services, 'prod', true));
  assert.deepEqual(env, {
    KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443', KUBERNETES_SERVICE_PORT_HTTPS: '443',
    KUBERNETES_PORT: 'tcp://10.96.0.1:443', KUBERNETES_PORT_443_TCP: 'tcp://10.96.0.1:443', KUBERNETES_PORT_443_TCP_PROTO: 'tcp',
    KUBERNETES_PORT_443_TCP_PORT: '443', KUBERNETES_PORT_443_TCP_ADDR: '10.96.0.1',
    MY_DB_SERVICE_HOST: '10.96.0.7', MY_DB_SERVICE_PORT: '5432', MY_DB_SERVICE_PORT_METRICS: '9187',
    MY_DB_PORT: 'tcp://10.96.0.7:5432', MY_DB_PORT_5432_TCP: 'tcp://10.96.0.7:5432', MY_DB_PORT_5432_TCP_PROTO: 'tcp',
    MY_DB_PORT_5432_TCP_PORT: '5432', MY_DB_PORT_5432_TCP_ADDR: '10.96.0.7',
    MY_DB_PORT_9187_UDP: 'udp://10.96.0.7:9187', MY_DB_PORT_9187_UDP_PROTO: 'udp', MY_DB_PORT_9187_UDP_PORT: '9187', MY_DB_PORT_9187_UDP_ADDR: '10.96.0.7',
  });
  assert.deepEqual([...serviceEnvVarMap(services, 'prod', false).keys()].filter((k) => !k.startsWith('KUBERNETES_')), []);
});

test('service links come after the container\'s own variables, which win, and $(VAR) may refer to them', () => {
  const c: V1Container = { name: 'c', env: [{ name: 'URL', value: 'https://$(KUBERNETES_SERVICE_HOST)' }, { name: 'MY_DB_SERVICE_PORT', value: 'mine' }] };
  const env = makeEnvironmentVariables(pod(c), c, { ...base, services: { hasSynced: true, env: serviceEnvVarMap(services, 'prod', true) } });
  assert.deepEqual(env.slice(0, 2), [{ key: 'URL', value: 'https://10.96.0.1' }, { key: 'MY_DB_SERVICE_PORT', value: 'mine' }]);
  assert.equal(env.filter((e) => e.key === 'MY_DB_SERVICE_PORT').length, 1);
  assert.ok(env.some((e) => e.key === 'KUBERNETES_PORT_443_TCP_ADDR' && e.value === '10.96.0.1'));
});

test('an API pod waits for the services to be listed once (the kubelet\'s message)', () => {
  const c: V1Container = { name: 'c' };
  assert.throws(() => makeEnvironmentVariables(pod(c), c, { ...base, services: { hasSynced: false, env: new Map() } }),
    (e: unknown) => e instanceof ContainerConfigError && e.message === 'services have not yet been read at least once, cannot construct envvars');
});

test('envFrom: keys that are no valid names are skipped and reported once, with the prefix', () => {
  const c: V1Container = { name: 'c', envFrom: [{ configMapRef: { name: 'cm' }, prefix: 'P_' }, { secretRef: { name: 's' } }] };
  const reported: string[] = [];
  const env = makeEnvironmentVariables(pod(c), c, {
    ...base,
    configMaps: new Map([['cm', { ok: '1', 'bad key': '2', 'a.b': '3' }]]),
    secrets: new Map([['s', { '1st': 'x', good: 'y' }]]),
    onInvalidKeys: (m) => reported.push(m),
  });
  assert.deepEqual(env.map((e) => e.key), ['P_ok', 'P_a.b', 'good']);
  assert.deepEqual(reported, [
    'Keys [P_bad key] from the EnvFrom configMap prod/cm were skipped since they are considered invalid environment variable names.',
    'Keys [1st] from the EnvFrom secret prod/s were skipped since they are considered invalid environment variable names.',
  ]);
  assert.ok(isEnvVarName('a.b-c') && !isEnvVarName('..x') && !isEnvVarName('9a'));
});

test('a read error other than NotFound fails even an optional reference; NotFound skips an optional one', () => {
  const c = (optional: boolean): V1Container => ({ name: 'c', env: [{ name: 'A', valueFrom: { secretKeyRef: { name: 's', key: 'k', optional } } }] });
  const failing = new Map([['s', new EnvObjectError('failed to sync secret cache: timed out waiting for the condition', false)]]);
  assert.throws(() => makeEnvironmentVariables(pod(c(true)), c(true), { ...base, secrets: failing }), /failed to sync secret cache/);
  const missing = new Map([['s', new EnvObjectError('secret "s" not found', true)]]);
  assert.deepEqual(makeEnvironmentVariables(pod(c(true)), c(true), { ...base, secrets: missing }), []);
  assert.throws(() => makeEnvironmentVariables(pod(c(false)), c(false), { ...base, secrets: missing }), /^ContainerConfigError: secret "s" not found$/);
});
