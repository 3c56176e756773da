// Tests for validatePod: each rule as a named case, asserting the exact kubectl-style message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { applyPodDefaults } from '../../src/config/defaults.js';
import { validatePodMessages } from '../../src/config/validate.js';

const DNS_SUBDOMAIN = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const DNS_LABEL = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const ENV_NAME = "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')";

function basePod(): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', labels: { app: 'web' } },
    spec: {
      volumes: [{ name: 'data', emptyDir: {} }],
      containers: [{
        name: 'app',
        image: 'busybox:1.36',
        ports: [{ name: 'http', containerPort: 8080 }],
        volumeMounts: [{ name: 'data', mountPath: '/data' }],
      }],
    },
  };
}

function messages(mutate: (p: V1Pod) => void, nodeName = 'node1'): string[] {
  const p = basePod();
  mutate(p);
  return validatePodMessages(applyPodDefaults(p), { nameSuffix: `-${nodeName}` });
}

const c0 = (p: V1Pod): V1Container => p.spec!.containers[0]!;
const ctr = (over: Partial<V1Container>): V1Container => ({ name: 'side', image: 'busybox:1.36', ...over });

test('a valid pod has no errors', () => {
  assert.deepEqual(messages(() => {}), []);
});

const cases: Array<[name: string, mutate: (p: V1Pod) => void, want: string]> = [
  // metadata
  ['name required', (p) => { p.metadata!.name = ''; }, 'metadata.name: Required value: name or generateName is required'],
  ['name must be a DNS-1123 subdomain', (p) => { p.metadata!.name = 'Bad_Name'; }, `metadata.name: Invalid value: "Bad_Name": ${DNS_SUBDOMAIN}`],
  ['name over 253', (p) => { p.metadata!.name = 'a'.repeat(254); }, `metadata.name: Invalid value: "${'a'.repeat(254)}": must be no more than 253 characters`],
  ['name within 253 but not with the node suffix', (p) => { p.metadata!.name = 'a'.repeat(250); },
    `metadata.name: Invalid value: "${'a'.repeat(250)}": must be no more than 253 characters with the node suffix "-node1" (256)`],
  ['namespace must be a DNS-1123 label', (p) => { p.metadata!.namespace = 'kube.system'; }, `metadata.namespace: Invalid value: "kube.system": ${DNS_LABEL}`],
  ['label key invalid', (p) => { p.metadata!.labels = { 'bad key': 'x' }; },
    "metadata.labels: Invalid value: \"bad key\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"],
  ['label key prefix invalid', (p) => { p.metadata!.labels = { 'Example.com/app': 'x' }; }, `metadata.labels: Invalid value: "Example.com/app": prefix part ${DNS_SUBDOMAIN}`],
  ['label value invalid', (p) => { p.metadata!.labels = { app: '-web' }; },
    "metadata.labels: Invalid value: \"-web\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"],
  ['label value too long', (p) => { p.metadata!.labels = { app: 'a'.repeat(64) }; }, `metadata.labels: Invalid value: "${'a'.repeat(64)}": must be no more than 63 characters`],
  ['annotation key invalid', (p) => { p.metadata!.annotations = { 'a/b/c': 'x' }; },
    "metadata.annotations: Invalid value: \"a/b/c\": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"],
  ['annotations too large', (p) => { p.metadata!.annotations = { big: 'x'.repeat(256 * 1024) }; }, 'metadata.annotations: Too long: must have at most 262144 bytes'],
  // containers
  ['at least one container', (p) => { p.spec!.containers = []; }, 'spec.containers: Required value'],
  ['container name required', (p) => { c0(p).name = ''; }, 'spec.containers[0].name: Required value'],
  ['container name must be a DNS-1123 label', (p) => { c0(p).name = 'App'; }, `spec.containers[0].name: Invalid value: "App": ${DNS_LABEL}`],
  ['duplicate container name', (p) => { p.spec!.containers.push(ctr({ name: 'app' })); }, 'spec.containers[1].name: Duplicate value: "app"'],
  ['init container name clashes with a container', (p) => { p.spec!.initContainers = [ctr({ name: 'app' })]; }, 'spec.initContainers[0].name: Duplicate value: "app"'],
  ['image required', (p) => { c0(p).image = ''; }, 'spec.containers[0].image: Required value'],
  ['blank image', (p) => { c0(p).image = ' '; }, 'spec.containers[0].image: Invalid value: " ": must not have leading or trailing whitespace'],
  ['containerPort 0 is missing', (p) => { c0(p).ports = [{ containerPort: 0 }]; }, 'spec.containers[0].ports[0].containerPort: Required value'],
  ['containerPort too large', (p) => { c0(p).ports = [{ containerPort: 70000 }]; }, 'spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive'],
  ['hostPort out of range', (p) => { c0(p).ports = [{ containerPort: 80, hostPort: 65536 }]; }, 'spec.containers[0].ports[0].hostPort: Invalid value: 65536: must be between 1 and 65535, inclusive'],
  ['duplicate port name', (p) => { c0(p).ports!.push({ name: 'http', containerPort: 9090 }); }, 'spec.containers[0].ports[1].name: Duplicate value: "http"'],
  ['port name too long', (p) => { c0(p).ports = [{ name: 'a-very-long-port-name', containerPort: 80 }]; }, 'spec.containers[0].ports[0].name: Invalid value: "a-very-long-port-name": must be no more than 15 characters'],
  ['port name needs a letter', (p) => { c0(p).ports = [{ name: '8080', containerPort: 80 }]; }, 'spec.containers[0].ports[0].name: Invalid value: "8080": must contain at least one letter (a-z)'],
  ['port name with double hyphen', (p) => { c0(p).ports = [{ name: 'a--b', containerPort: 80 }]; }, 'spec.containers[0].ports[0].name: Invalid value: "a--b": must not contain consecutive hyphens'],
  ['port name uppercase', (p) => { c0(p).ports = [{ name: 'HTTP', containerPort: 80 }]; }, 'spec.containers[0].ports[0].name: Invalid value: "HTTP": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)'],
  ['protocol', (p) => { c0(p).ports = [{ containerPort: 80, protocol: 'ICMP' }]; }, 'spec.containers[0].ports[0].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"'],
  ['hostPort conflict across containers', (p) => {
    c0(p).ports = [{ containerPort: 80, hostPort: 8080 }];
    p.spec!.containers.push(ctr({ ports: [{ containerPort: 81, hostPort: 8080 }] }));
  }, 'spec.containers[1].ports[0].hostPort: Duplicate value: "TCP//8080"'],
  ['hostNetwork needs containerPort == hostPort', (p) => { p.spec!.hostNetwork = true; c0(p).ports = [{ containerPort: 80, hostPort: 81 }]; },
    'spec.containers[0].ports[0].hostPort: Invalid value: 81: must match `containerPort` when `hostNetwork` is true'],
  ['restartPolicy', (p) => { p.spec!.restartPolicy = 'Sometimes'; }, 'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"'],
  ['dnsPolicy', (p) => { p.spec!.dnsPolicy = 'Google'; }, 'spec.dnsPolicy: Unsupported value: "Google": supported values: "ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"'],
  ['dnsPolicy None needs dnsConfig', (p) => { p.spec!.dnsPolicy = 'None'; }, 'spec.dnsConfig: Required value: must provide `dnsConfig` when `dnsPolicy` is None'],
  ['imagePullPolicy', (p) => { c0(p).imagePullPolicy = 'Sometimes'; }, 'spec.containers[0].imagePullPolicy: Unsupported value: "Sometimes": supported values: "Always", "IfNotPresent", "Never"'],
  ['terminationMessagePolicy', (p) => { c0(p).terminationMessagePolicy = 'Stdout'; }, 'spec.containers[0].terminationMessagePolicy: Unsupported value: "Stdout": supported values: "File", "FallbackToLogsOnError"'],
  ['init container restartPolicy only Always', (p) => { p.spec!.initContainers = [ctr({ name: 'init', restartPolicy: 'OnFailure' })]; },
    'spec.initContainers[0].restartPolicy: Unsupported value: "OnFailure": supported values: "Always"'],
  ['regular container must not set restartPolicy', (p) => { c0(p).restartPolicy = 'Always'; }, 'spec.containers[0].restartPolicy: Forbidden: may not be set for non-init containers'],
  ['plain init container may not have probes', (p) => { p.spec!.initContainers = [ctr({ name: 'init', readinessProbe: { exec: { command: ['true'] } } })]; },
    'spec.initContainers[0].readinessProbe: Forbidden: may not be set for init containers without restartPolicy=Always'],
  // volumes and mounts
  ['volume name must be a DNS-1123 label', (p) => { p.spec!.volumes!.push({ name: 'My_Vol', emptyDir: {} }); }, `spec.volumes[1].name: Invalid value: "My_Vol": ${DNS_LABEL}`],
  ['duplicate volume name', (p) => { p.spec!.volumes!.push({ name: 'data', emptyDir: {} }); }, 'spec.volumes[1].name: Duplicate value: "data"'],
  ['more than one volume type', (p) => { p.spec!.volumes = [{ name: 'data', emptyDir: {}, hostPath: { path: '/x' } }]; }, 'spec.volumes[0].emptyDir: Forbidden: may not specify more than 1 volume type'],
  ['hostPath path required', (p) => { p.spec!.volumes = [{ name: 'data', hostPath: { path: '' } }]; }, 'spec.volumes[0].hostPath.path: Required value'],
  ['hostPath type', (p) => { p.spec!.volumes = [{ name: 'data', hostPath: { path: '/x', type: 'Dir' } }]; },
    'spec.volumes[0].hostPath.type: Unsupported value: "Dir": supported values: "", "BlockDevice", "CharDevice", "Directory", "DirectoryOrCreate", "File", "FileOrCreate", "Socket"'],
  ['defaultMode out of range', (p) => { p.spec!.volumes = [{ name: 'data', secret: { secretName: 's', defaultMode: 0o1000 } }]; },
    'spec.volumes[0].secret.defaultMode: Invalid value: 512: must be a number between 0 and 0777 (octal), both inclusive'],
  ['volumeMount names an existing volume', (p) => { c0(p).volumeMounts = [{ name: 'nope', mountPath: '/x' }]; }, 'spec.containers[0].volumeMounts[0].name: Not found: "nope"'],
  ['mountPath required', (p) => { c0(p).volumeMounts = [{ name: 'data', mountPath: '' }]; }, 'spec.containers[0].volumeMounts[0].mountPath: Required value'],
  ['mountPath not duplicated', (p) => { c0(p).volumeMounts!.push({ name: 'data', mountPath: '/data' }); }, 'spec.containers[0].volumeMounts[1].mountPath: Invalid value: "/data": must be unique'],
  ['subPath may not escape', (p) => { c0(p).volumeMounts![0]!.subPath = '../etc'; }, 'spec.containers[0].volumeMounts[0].subPath: Invalid value: "../etc": must not contain \'..\''],
  // env
  ['env name invalid', (p) => { c0(p).env = [{ name: '1X', value: 'v' }]; }, `spec.containers[0].env[0].name: Invalid value: "1X": ${ENV_NAME}`],
  ['env name required', (p) => { c0(p).env = [{ name: '' }]; }, 'spec.containers[0].env[0].name: Required value'],
  ['env value and valueFrom both', (p) => { c0(p).env = [{ name: 'X', value: 'v', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }]; },
    'spec.containers[0].env[0].valueFrom: Invalid value: "": may not be specified when `value` is not empty'],
  ['env fieldRef path', (p) => { c0(p).env = [{ name: 'X', valueFrom: { fieldRef: { fieldPath: 'spec.hostname' } } }]; },
    'spec.containers[0].env[0].valueFrom.fieldRef.fieldPath: Unsupported value: "spec.hostname": supported values: "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs"'],
  // pod-level numbers
  ['activeDeadlineSeconds > 0', (p) => { p.spec!.activeDeadlineSeconds = 0; }, 'spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, inclusive'],
  ['terminationGracePeriodSeconds >= 0', (p) => { p.spec!.terminationGracePeriodSeconds = -1; }, 'spec.terminationGracePeriodSeconds: Invalid value: -1: must be greater than or equal to 0'],
  // resources
  ['quantity must parse', (p) => { c0(p).resources = { limits: { cpu: 'lots' } }; },
    "spec.containers[0].resources.limits[cpu]: Invalid value: \"lots\": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"],
  ['quantity non-negative', (p) => { c0(p).resources = { requests: { memory: '-1Mi' } }; }, 'spec.containers[0].resources.requests[memory]: Invalid value: "-1Mi": must be greater than or equal to 0'],
  ['requests <= limits', (p) => { c0(p).resources = { limits: { cpu: '1' }, requests: { cpu: '1500m' } }; },
    'spec.containers[0].resources.requests[cpu]: Invalid value: "1500m": must be less than or equal to cpu limit of 1'],
  ['unknown resource name', (p) => { c0(p).resources = { limits: { gpu: '1' } }; }, 'spec.containers[0].resources.limits[gpu]: Invalid value: "gpu": must be a standard resource for containers'],
  ['extended resources need request == limit', (p) => { c0(p).resources = { limits: { 'example.com/gpu': '2' }, requests: { 'example.com/gpu': '1' } }; },
    'spec.containers[0].resources.requests[example.com/gpu]: Invalid value: "1": must be equal to example.com/gpu limit of 2'],
  // probes
  ['probe needs a handler', (p) => { c0(p).livenessProbe = { periodSeconds: 5 }; }, 'spec.containers[0].livenessProbe: Required value: must specify a handler type'],
  ['probe with two handlers', (p) => { c0(p).readinessProbe = { exec: { command: ['true'] }, tcpSocket: { port: 80 } }; },
    'spec.containers[0].readinessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type'],
  ['probe thresholds >= 1 (negative is not defaulted)', (p) => { c0(p).livenessProbe = { exec: { command: ['true'] }, failureThreshold: -1 }; },
    'spec.containers[0].livenessProbe.failureThreshold: Invalid value: -1: must be greater than or equal to 0'],
  ['liveness successThreshold must be 1', (p) => { c0(p).livenessProbe = { exec: { command: ['true'] }, successThreshold: 2 }; },
    'spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1'],
  ['startup successThreshold must be 1', (p) => { c0(p).startupProbe = { exec: { command: ['true'] }, successThreshold: 3 }; },
    'spec.containers[0].startupProbe.successThreshold: Invalid value: 3: must be 1'],
  ['readiness probe may not set terminationGracePeriodSeconds', (p) => { c0(p).readinessProbe = { exec: { command: ['true'] }, terminationGracePeriodSeconds: 5 }; },
    'spec.containers[0].readinessProbe.terminationGracePeriodSeconds: Invalid value: 5: must not be set for readinessProbes'],
  ['exec command required', (p) => { c0(p).livenessProbe = { exec: { command: [] } }; }, 'spec.containers[0].livenessProbe.exec.command: Required value'],
  ['httpGet port range', (p) => { c0(p).livenessProbe = { httpGet: { port: 0 } }; }, 'spec.containers[0].livenessProbe.httpGet.port: Invalid value: 0: must be between 1 and 65535, inclusive'],
  ['httpGet scheme', (p) => { c0(p).livenessProbe = { httpGet: { port: 'http', scheme: 'FTP' } }; }, 'spec.containers[0].livenessProbe.httpGet.scheme: Unsupported value: "FTP": supported values: "HTTP", "HTTPS"'],
  ['lifecycle handler required', (p) => { c0(p).lifecycle = { preStop: {} }; }, 'spec.containers[0].lifecycle.preStop: Required value: must specify a handler type'],
];

for (const [name, mutate, want] of cases) {
  test(`validation: ${name}`, () => {
    const got = messages(mutate);
    assert.ok(got.includes(want), `expected\n  ${want}\namong\n  ${got.join('\n  ')}`);
  });
}

test('validation: a sidecar (restartable init container) may have probes', () => {
  assert.deepEqual(messages((p) => {
    p.spec!.initContainers = [ctr({ name: 'proxy', restartPolicy: 'Always', readinessProbe: { tcpSocket: { port: 80 } } })];
  }), []);
});

test('validation: a relative mountPath is accepted (the kubelet makes it absolute)', () => {
  assert.deepEqual(messages((p) => { c0(p).volumeMounts = [{ name: 'data', mountPath: 'data' }]; }), []);
});

test('validation: a probe named port and an env fieldRef on a label are accepted', () => {
  assert.deepEqual(messages((p) => {
    c0(p).livenessProbe = { httpGet: { port: 'http' } };
    c0(p).env = [{ name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } }];
  }), []);
});

test('validation: every error is reported, not just the first', () => {
  const got = messages((p) => { p.metadata!.name = 'Bad_Name'; p.spec!.restartPolicy = 'Sometimes'; c0(p).image = ''; });
  assert.equal(got.length, 3);
});
