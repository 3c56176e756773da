// Tests for parseManifest and the static pod identity: decoding, per-document errors, UID stability.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CONFIG_FIRST_SEEN_ANNOTATION, CONFIG_HASH_ANNOTATION, CONFIG_PATH_ANNOTATION, CONFIG_SOURCE_ANNOTATION,
} from '../../src/config/annotations.js';
import { stampFirstSeen } from '../../src/config/identity.js';
import { parseManifest } from '../../src/config/manifest.js';

const opts = { path: '/etc/kubernetes/manifests/web.yaml', nodeName: 'node1' };

const WEB = `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: app
    image: busybox:1.36
`;

test('a valid manifest becomes one static pod with the kubelet identity', () => {
  const { pods, errors } = parseManifest(WEB, opts);
  assert.deepEqual(errors, []);
  assert.equal(pods.length, 1);
  const pod = pods[0]!;
  assert.equal(pod.metadata!.name, 'web-node1');
  assert.equal(pod.metadata!.namespace, 'default');
  assert.match(pod.metadata!.uid!, /^[0-9a-f]{32}$/);
  assert.equal(pod.metadata!.annotations![CONFIG_HASH_ANNOTATION], pod.metadata!.uid);
  assert.equal(pod.metadata!.annotations![CONFIG_SOURCE_ANNOTATION], 'file');
  assert.equal(pod.metadata!.annotations![CONFIG_PATH_ANNOTATION], opts.path);
  assert.equal(pod.spec!.nodeName, 'node1');
  assert.deepEqual(pod.spec!.tolerations, [{ operator: 'Exists', effect: 'NoExecute' }]);
  assert.equal(pod.status!.phase, 'Pending');
  // Defaults were applied on the way in.
  assert.equal(pod.spec!.restartPolicy, 'Always');
  assert.equal(pod.spec!.containers[0]!.imagePullPolicy, 'IfNotPresent');
});

test('a namespace in the manifest is kept; an existing NoExecute toleration is not doubled', () => {
  const text = WEB.replace('  name: web', '  name: web\n  namespace: kube-system').replace('spec:\n', 'spec:\n  tolerations: [{operator: Exists, effect: NoExecute}]\n');
  const pod = parseManifest(text, opts).pods[0]!;
  assert.equal(pod.metadata!.namespace, 'kube-system');
  assert.equal(pod.spec!.tolerations!.length, 1);
});

test('identity: the same file gives the same UID on every read (agent restarts)', () => {
  const a = parseManifest(WEB, opts).pods[0]!.metadata!.uid;
  const b = parseManifest(WEB, opts).pods[0]!.metadata!.uid;
  assert.equal(a, b);
});

test('identity: key order and formatting do not change the UID; JSON and YAML agree', () => {
  const json = JSON.stringify({ kind: 'Pod', spec: { containers: [{ image: 'busybox:1.36', name: 'app' }] }, metadata: { name: 'web' }, apiVersion: 'v1' });
  assert.equal(parseManifest(json, opts).pods[0]!.metadata!.uid, parseManifest(WEB, opts).pods[0]!.metadata!.uid);
});

test('identity: an edited file is a new pod', () => {
  const a = parseManifest(WEB, opts).pods[0]!.metadata!.uid;
  const b = parseManifest(WEB.replace('busybox:1.36', 'busybox:1.37'), opts).pods[0]!.metadata!.uid;
  assert.notEqual(a, b);
});

test('identity: the node and the file path are part of the UID', () => {
  const base = parseManifest(WEB, opts).pods[0]!.metadata!.uid;
  assert.notEqual(parseManifest(WEB, { ...opts, nodeName: 'node2' }).pods[0]!.metadata!.uid, base);
  assert.notEqual(parseManifest(WEB, { ...opts, path: '/etc/kubernetes/manifests/web2.yaml' }).pods[0]!.metadata!.uid, base);
});

test('identity: a UID written in the manifest is kept', () => {
  const text = WEB.replace('  name: web', '  name: web\n  uid: 11111111-2222-3333-4444-555555555555');
  assert.equal(parseManifest(text, opts).pods[0]!.metadata!.uid, '11111111-2222-3333-4444-555555555555');
});

test('identity: the seen time does not change the UID or the hash', () => {
  const a = stampFirstSeen(parseManifest(WEB, opts).pods[0]!, Date.UTC(2024, 0, 1));
  const b = stampFirstSeen(parseManifest(WEB, opts).pods[0]!, Date.UTC(2025, 5, 6));
  assert.equal(a.metadata!.uid, b.metadata!.uid);
  assert.equal(a.metadata!.annotations![CONFIG_HASH_ANNOTATION], b.metadata!.annotations![CONFIG_HASH_ANNOTATION]);
  assert.equal(a.metadata!.annotations![CONFIG_FIRST_SEEN_ANNOTATION], '2024-01-01T00:00:00.000Z');
  assert.deepEqual(a.metadata!.creationTimestamp, new Date(Date.UTC(2024, 0, 1)));
});

test('multi-document file: each document is a pod; a bad one rejects only itself, with its index', () => {
  const text = `${WEB}---\napiVersion: v1\nkind: Pod\nmetadata: {name: Bad_Name}\nspec: {containers: [{name: a, image: x}]}\n---\n${WEB.replace('name: web', 'name: api')}---\n# only a comment\n`;
  const { pods, errors } = parseManifest(text, opts);
  assert.deepEqual(pods.map((p) => p.metadata!.name), ['web-node1', 'api-node1']);
  assert.deepEqual(pods.map((p) => p.metadata!.annotations![CONFIG_PATH_ANNOTATION]), [`${opts.path}#0`, `${opts.path}#2`]);
  assert.equal(errors.length, 1);
  assert.equal(errors[0]!.path, opts.path);
  assert.equal(errors[0]!.podName, 'Bad_Name');
  assert.match(errors[0]!.message, /^document\[1\]: metadata\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/);
});

const rejects: Array<[name: string, text: string, want: RegExp]> = [
  ['YAML syntax error with its line', 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: [web\n', /at line \d+, column \d+/],
  ['JSON syntax error with its line', '{\n  "apiVersion": "v1",,\n}', /at line 2, column \d+/],
  ['kind missing', 'apiVersion: v1\nmetadata: {name: x}\n', /^kind: Required value$/],
  ['kind must be Pod', WEB.replace('kind: Pod', 'kind: Deployment'), /^kind: Unsupported value: "Deployment": supported values: "Pod"$/],
  ['apiVersion must be v1', WEB.replace('apiVersion: v1', 'apiVersion: apps/v1'), /^apiVersion: Unsupported value: "apps\/v1": supported values: "v1"$/],
  ['not an object', '- just\n- a list\n', /^expected a Pod object$/],
  ['a string where a number belongs', WEB.replace('image: busybox:1.36', 'image: busybox:1.36\n    ports: [{containerPort: "80"}]'),
    /^spec\.containers\[0\]\.ports\[0\]\.containerPort: Invalid value: "80": must be an integer$/],
  ['a scalar where a list belongs', WEB.replace('image: busybox:1.36', 'image: busybox:1.36\n    ports: http'), /^spec\.containers\[0\]\.ports: Invalid value: "http": must be a list$/],
  ['a number label value (Go cannot decode it into a string)', WEB.replace('  name: web', '  name: web\n  labels: {tier: 1}'), /^metadata\.labels\[tier\]: Invalid value: 1: must be a string$/],
  ['empty file', '', /empty/],
];

for (const [name, text, want] of rejects) {
  test(`rejected: ${name}`, () => {
    const { pods, errors } = parseManifest(text, opts);
    assert.equal(pods.length, 0);
    assert.equal(errors.length, 1);
    assert.equal(errors[0]!.path, opts.path);
    assert.match(errors[0]!.message, want);
  });
}

test('a repeated key is decoded, the last one winning, as yaml.v2 does when not strict (utilyaml.ToJSON)', () => {
  const { pods, errors } = parseManifest(WEB.replace('image: busybox:1.36', 'image: busybox:1.35\n    image: busybox:1.36'), opts);
  assert.deepEqual(errors, []);
  assert.equal(pods[0]!.spec!.containers[0]!.image, 'busybox:1.36');
});

test('YAML 1.1 as the kubelet reads it: 0644 is octal', () => {
  const text = WEB.replace('spec:\n', 'spec:\n  volumes: [{name: cfg, secret: {secretName: s, defaultMode: 0644}}]\n');
  assert.equal(parseManifest(text, opts).pods[0]!.spec!.volumes![0]!.secret!.defaultMode, 420);
});

test('YAML 1.1 timestamps stay strings, as yaml.v2 leaves them (a date annotation is text)', () => {
  const text = WEB.replace('  name: web', '  name: web\n  annotations: {deployed: 2024-01-01}');
  const { pods, errors } = parseManifest(text, opts);
  assert.deepEqual(errors, []);
  assert.equal(pods[0]!.metadata!.annotations!.deployed, '2024-01-01');
});

test('null fields mean unset (ports: with no value)', () => {
  const { pods, errors } = parseManifest(WEB.replace('image: busybox:1.36', 'image: busybox:1.36\n    ports:'), opts);
  assert.deepEqual(errors, []);
  assert.equal(pods[0]!.spec!.containers[0]!.ports, undefined);
});
