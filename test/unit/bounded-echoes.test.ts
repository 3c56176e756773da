// Every place that echoes user input is bounded: the logger, events, pod status messages, HTTP error answers, rejected manifests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import type { V1Pod } from '@kubernetes/client-node';
import pino from 'pino';
import { MAX_LOG_FIELD_CHARS, MAX_MESSAGE_CHARS, MAX_QUOTED_CHARS } from '../../src/bounded.js';
import { parseHttpPods } from '../../src/config/http-pods.js';
import { MAX_REJECTED_DOCUMENTS, parseManifest } from '../../src/config/manifest.js';
import { EventRecorder } from '../../src/events/recorder.js';
import { boundedLogOptions } from '../../src/log.js';
import { statusBody } from '../../src/server/encode.js';
import { normalizeStatus } from '../../src/status/status-equal.js';

const big = 'x'.repeat(1_000_000);

function capturedLogger() {
  const lines: string[] = [];
  const stream = new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } });
  return { lines, logger: pino({ level: 'debug', ...boundedLogOptions }, stream) };
}

test('logger: a huge string field, message or error is cut; small ones untouched', () => {
  const { lines, logger } = capturedLogger();
  logger.warn({ path: '/m/a.yaml', error: big }, 'rejected manifest');
  logger.warn({ err: new Error(big) }, big);
  logger.info(big);
  logger.info({ small: 'ok', n: 1 }, 'fine');
  assert.equal(lines.length, 4);
  // Each field is bounded: an error (message and stack) and a message make the longest line.
  for (const line of lines.slice(0, 3)) assert.ok(line.length < 4 * MAX_LOG_FIELD_CHARS, `${line.length} characters`);
  const first = JSON.parse(lines[0]!);
  assert.equal(first.path, '/m/a.yaml');
  assert.match(first.error, /^x+ \.\.\. \(1000000 characters\)$/);
  assert.match(JSON.parse(lines[1]!).err.message, /\(1000000 characters\)$/);
  assert.deepEqual((({ small, n, msg }) => ({ small, n, msg }))(JSON.parse(lines[3]!)), { small: 'ok', n: 1, msg: 'fine' });
});

test('events: a message quoting a huge value is cut in the store and in the log line', () => {
  const { lines, logger } = capturedLogger();
  const recorder = new EventRecorder({ logger, clock: () => 0 });
  const pod: V1Pod = { metadata: { uid: 'u1', name: 'web', namespace: 'default' } };
  recorder.event(pod, 'Warning', 'Failed', `Failed to pull image "${big}": not found`);
  const [ev] = recorder.eventsFor('u1');
  assert.ok(ev!.message.length <= MAX_MESSAGE_CHARS);
  assert.match(ev!.message, /^Failed to pull image "x+ \.\.\. \(\d+ characters\)$/);
  assert.ok(lines[0]!.length < 2 * MAX_MESSAGE_CHARS);
});

test('status: the pod, condition and waiting messages are cut; a short one is kept', () => {
  const pod: V1Pod = { spec: { containers: [{ name: 'a', image: 'a' }] } };
  const status = normalizeStatus(pod, {
    message: `Pod was rejected: ${big}`,
    conditions: [{ type: 'PodScheduled', status: 'False', message: big }, { type: 'Ready', status: 'False', message: 'short' }],
    containerStatuses: [{ name: 'a', image: 'a', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ErrImagePull', message: big } } }],
  });
  assert.ok(status.message!.length <= MAX_MESSAGE_CHARS);
  assert.ok(status.conditions![0]!.message!.length <= MAX_MESSAGE_CHARS);
  assert.equal(status.conditions![1]!.message, 'short');
  assert.ok(status.containerStatuses![0]!.state!.waiting!.message!.length <= MAX_MESSAGE_CHARS);
});

test('HTTP: an error answer quoting the request is cut', () => {
  const body = statusBody(404, 'NotFound', `pods "${big}" not found`);
  assert.ok(String(body.message).length <= MAX_MESSAGE_CHARS);
});

const NODE = 'node1';
const pod = (name: string, extra = '') => `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\nspec:\n  containers:\n  - name: app\n    image: busybox${extra}\n`;

const manifests: Array<[name: string, text: string, maxErrors: number]> = [
  ['a 1 MB name quoted in a field error', pod(big), 1],
  ['a 1 MB label key in a field path', pod('web').replace('  name: web', `  name: web\n  labels: {"${'k'.repeat(500_000)}": 1}`), 1],
  ['500 invalid containers: one message, the rest counted', pod('web') + Array.from({ length: 500 }, (_, i) => `  - name: BAD_${i}\n    image: x\n`).join(''), 1],
  ['a file of 10,000 invalid documents: a few listed, the rest counted', Array.from({ length: 10_000 }, (_, i) => pod(`Bad_${i}`)).join('---\n'), MAX_REJECTED_DOCUMENTS + 1],
  ['a 1 MB quantity', pod('web', `\n    resources: {limits: {cpu: "${'9'.repeat(1_000_000)}x"}}`), 1],
];
for (const [name, text, maxErrors] of manifests) {
  test(`rejected manifest: ${name}`, () => {
    const { pods, errors } = parseManifest(text, { path: '/m/a.yaml', nodeName: NODE });
    assert.equal(pods.length, 0);
    assert.ok(errors.length >= 1 && errors.length <= maxErrors, `${errors.length} errors`);
    for (const e of errors) {
      assert.ok(e.message.length <= MAX_MESSAGE_CHARS, `${e.message.length} characters`);
      assert.ok((e.podName ?? '').length <= MAX_QUOTED_CHARS);
    }
  });
}

test('rejected manifest: the count of unlisted documents is said', () => {
  const text = Array.from({ length: 12 }, (_, i) => pod(`Bad_${i}`)).join('---\n');
  const { errors } = parseManifest(text, { path: '/m/a.yaml', nodeName: NODE });
  assert.equal(errors.length, MAX_REJECTED_DOCUMENTS + 1);
  assert.equal(errors.at(-1)!.message, `${12 - MAX_REJECTED_DOCUMENTS} more rejected documents not listed`);
});

test('URL body: a 1 MB body that is not a pod, and a PodList of 10,000 bad items, give bounded errors', () => {
  const opts = { url: 'http://127.0.0.1:1/pods', nodeName: NODE };
  const notPod = parseHttpPods(`"${big}"`, opts);
  assert.ok('error' in notPod && notPod.error.length <= MAX_MESSAGE_CHARS && notPod.errors.length === 1);
  const items = Array.from({ length: 10_000 }, (_, i) => ({ metadata: { name: `Bad_${i}` }, spec: { containers: [{ name: 'a', image: 'x' }] } }));
  const list = parseHttpPods(JSON.stringify({ apiVersion: 'v1', kind: 'PodList', items }), opts);
  assert.ok('error' in list);
  assert.ok(list.error.length <= MAX_MESSAGE_CHARS + 20, `${list.error.length}`);
  assert.ok(list.errors.length <= MAX_REJECTED_DOCUMENTS + 1);
});
