// The client certificate manager against the fake API with a fake signer: bootstrap, the rotation deadline on a fake clock, retries, refusals, a restart mid-bootstrap.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import type { V1CertificateSigningRequest } from '@kubernetes/client-node';
import pino from 'pino';
import { makeCsr } from '../../src/certificate/csr.js';
import { x509 } from '../../src/certificate/x509.js';
import { CertificateManager, retryDelay, rotationDeadline, type CertificateManagerOptions } from '../../src/certificate/manager.js';
import { parsePair, type CertKeyPair } from '../../src/certificate/pair.js';
import { CertificateStore } from '../../src/certificate/store.js';
import { KubeApiError } from '../../src/kubeclient/errors.js';
import { FakeKube } from '../support/fake-kube.js';
import { testCa, testKey } from '../support/test-ca.js';

const root = mkdtempSync(path.join(tmpdir(), 'mk-certmgr-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const ca = await testCa();
const SEC = 1000;
const log = pino({ level: 'silent' });

type Csr = V1CertificateSigningRequest;
const csrs = (kube: FakeKube) => kube.csrs.list().items as unknown as Csr[];

/**
 * The controller manager's part: approves and signs every CSR created in `kube` (validity
 * `lifetimeMs` from the fake clock's now), or denies it when `deny` says so.
 */
function signer(kube: FakeKube, now: () => number, o: { lifetimeMs?: number; deny?: (csr: Csr) => boolean } = {}) {
  const signed: Csr[] = [];
  kube.csrs.watch({}, async (e) => {
    const csr = e.object as unknown as Csr;
    if (e.type !== 'ADDED' || csr.status?.conditions?.length) return;
    if (o.deny?.(csr)) {
      kube.csrs.put({ ...csr, status: { conditions: [{ type: 'Denied', status: 'True', reason: 'Nope', message: 'not this one' }] } } as never, 'MODIFIED');
      return;
    }
    const certPem = await ca.issue({ csrPem: Buffer.from(csr.spec.request, 'base64').toString(), notBefore: new Date(now()), notAfter: new Date(now() + (o.lifetimeMs ?? 1000 * SEC)) });
    signed.push(csr);
    kube.csrs.put({ ...csr, status: { conditions: [{ type: 'Approved', status: 'True', reason: 'AutoApproved' }], certificate: Buffer.from(certPem).toString('base64') } } as never, 'MODIFIED');
  }, () => {});
  return signed;
}

/**
 * A fake clock that only moves when the manager sleeps; every sleep is recorded. Sleeps past the
 * first `passing` ones hold until the manager is stopped.
 */
function fakeTime(start: number, passing = Infinity) {
  let t = start;
  const sleeps: number[] = [];
  return {
    now: () => t,
    sleeps,
    sleep: async (ms: number, signal: AbortSignal) => {
      sleeps.push(ms);
      if (sleeps.length > passing) await new Promise((r) => signal.addEventListener('abort', r));
      if (!signal.aborted) t += ms;
      await new Promise((r) => setImmediate(r));
    },
  };
}

async function waitUntil(what: string, fn: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function manager(kube: FakeKube, o: Partial<CertificateManagerOptions> & { time?: ReturnType<typeof fakeTime> } = {}) {
  const store = new CertificateStore(path.join(root, `d${++n}`));
  const got: Array<{ pair: CertKeyPair; bootstrap: boolean }> = [];
  const clients: Array<CertKeyPair | undefined> = [];
  const m = new CertificateManager({
    nodeName: 'node-a',
    store,
    rotate: false,
    logger: log,
    csrClient: (current) => {
      clients.push(current);
      return kube.client().certificateSigningRequests;
    },
    onCertificate: (pair, bootstrap) => void got.push({ pair, bootstrap }),
    ...(o.time ? { now: o.time.now, sleep: o.time.sleep } : {}),
    random: () => 0.5,
    ...o,
  });
  return { m, store, got, clients };
}

describe('rotation deadline (nextRotationDeadline, jitteryDuration)', () => {
  const pair = { notBefore: new Date(10_000), notAfter: new Date(10_000 + 1000 * SEC) } as CertKeyPair;
  test('70 % of the validity at the lowest jitter, 90 % at the highest, 80 % in the middle', () => {
    assert.equal(rotationDeadline(pair, 0), 10_000 + 700 * SEC);
    assert.equal(rotationDeadline(pair, 1), 10_000 + 900 * SEC);
    assert.equal(rotationDeadline(pair, 0.5), 10_000 + 800 * SEC);
  });
  test('retries: 2s, 4s, 8s, 16s (plus up to 10 % jitter), then every 32s', () => {
    assert.deepEqual([0, 1, 2, 3, 4, 9].map((a) => retryDelay(a, 0)), [2000, 4000, 8000, 16000, 32000, 32000]);
    assert.equal(retryDelay(0, 1), 2200);
  });
});

test('bootstrap: one CSR with the digested name, the kubelet signer and usages, through the bootstrap client; stored and handed over; no rotation: done', async () => {
  const kube = new FakeKube();
  signer(kube, Date.now);
  const { m, store, got, clients } = manager(kube);
  m.start();
  await waitUntil('the certificate', () => got.length === 1);
  await m.stop();
  const [csr] = csrs(kube);
  assert.match(csr.metadata!.name!, /^node-csr-/);
  assert.equal(csr.spec.signerName, 'kubernetes.io/kube-apiserver-client-kubelet');
  assert.deepEqual(csr.spec.usages, ['digital signature', 'client auth']);
  assert.equal(new x509.Pkcs10CertificateRequest(Buffer.from(csr.spec.request, 'base64').toString()).subject, 'O=system:nodes, CN=system:node:node-a');
  assert.deepEqual(clients, [undefined], 'asked with no current certificate: the bootstrap credentials');
  assert.equal(got[0].bootstrap, true);
  assert.equal(got[0].pair.commonName, 'system:node:node-a');
  assert.equal(store.current()?.serialNumber, got[0].pair.serialNumber);
  assert.equal(m.current()?.serialNumber, got[0].pair.serialNumber);
  assert.equal(kube.callsOf('certificatesigningrequests', 'create').length, 1);
});

test('rotation on a fake clock: nothing before the deadline (80 % here), then a new key and a server-named CSR through the current certificate, and the next deadline from the new one', async () => {
  const time = fakeTime(1_000_000, 1);
  const kube = new FakeKube(time.now);
  signer(kube, time.now, { lifetimeMs: 1000 * SEC });
  const keyPem = testKey();
  const initial = parsePair(await ca.issue({ keyPem, commonName: 'system:node:node-a', organizations: ['system:nodes'], notBefore: new Date(time.now()), notAfter: new Date(time.now() + 1000 * SEC) }), keyPem);
  const { m, got, clients } = manager(kube, { initial, rotate: true, time });
  m.start();
  await waitUntil('the rotated certificate', () => got.length === 1);
  // The fake clock moved only by the manager's sleeps: the first was up to the deadline.
  assert.equal(time.sleeps[0], 800 * SEC, 'slept to the deadline first');
  const created = csrs(kube);
  assert.equal(created.length, 1);
  assert.equal(new Date(created[0].metadata!.creationTimestamp!).getTime(), 1_000_000 + 800 * SEC, 'asked for at the deadline, not before');
  assert.match(created[0].metadata!.name!, /^csr-/, 'rotation lets the server name its CSR');
  assert.equal(clients[0]?.serialNumber, initial.serialNumber, 'asked with the current certificate');
  assert.equal(got[0].bootstrap, false);
  assert.notEqual(got[0].pair.serialNumber, initial.serialNumber);
  assert.notEqual(got[0].pair.keyPem, keyPem, 'a new key');
  // Next round: the deadline is 80 % into the new certificate; stop while it waits.
  await waitUntil('the next wait', () => time.sleeps.length === 2);
  assert.equal(time.sleeps[1], 800 * SEC);
  await m.stop();
  assert.equal(kube.csrs.list().items.length, 1);
});

test('an expired initial certificate is no certificate: bootstrap again at once', async () => {
  const kube = new FakeKube();
  signer(kube, Date.now);
  const keyPem = testKey();
  const initial = parsePair(await ca.issue({ keyPem, commonName: 'system:node:node-a', organizations: ['system:nodes'], notBefore: new Date(Date.now() - 2000 * SEC), notAfter: new Date(Date.now() - 1000 * SEC) }), keyPem);
  const { m, got, clients } = manager(kube, { initial, rotate: true });
  assert.equal(m.current(), undefined);
  m.start();
  await waitUntil('the certificate', () => got.length === 1);
  await m.stop();
  assert.deepEqual([clients[0], got[0].bootstrap], [undefined, true]);
});

test('a failed create and a denied CSR are retried after 2s then 4s (jittered), each with a new request', async () => {
  const kube = new FakeKube();
  const time = fakeTime(Date.now());
  let denials = 1;
  signer(kube, Date.now, { deny: () => denials-- > 0 });
  kube.failNext('certificatesigningrequests', 'create', new KubeApiError(0, 'Unavailable', 'connection refused'));
  const { m, got } = manager(kube, { time });
  m.start();
  await waitUntil('the certificate', () => got.length === 1);
  await m.stop();
  assert.deepEqual(time.sleeps.map((ms) => Math.round(ms / 100) / 10), [2.1, 4.2], '2s and 4s with the 0.5 jitter');
  assert.equal(kube.callsOf('certificatesigningrequests', 'create').length, 3);
});

test('a restart during the bootstrap finds its own CSR (same kept key, same name) and takes its certificate, with no second CSR', async () => {
  const kube = new FakeKube();
  const dir = path.join(root, 'restart');
  // The first run creates the CSR, then stops before anything signs it.
  const first = manager(kube, { store: new CertificateStore(dir), waitTimeoutMs: 60_000 });
  first.m.start();
  await waitUntil('the first CSR', () => kube.csrs.list().items.length === 1);
  await first.m.stop();
  assert.equal(first.got.length, 0);
  // Signed while the agent was down.
  const [pending] = csrs(kube);
  const certPem = await ca.issue({ csrPem: Buffer.from(pending.spec.request, 'base64').toString() });
  kube.csrs.put({ ...pending, status: { conditions: [{ type: 'Approved', status: 'True' }], certificate: Buffer.from(certPem).toString('base64') } } as never, 'MODIFIED');
  const second = manager(kube, { store: new CertificateStore(dir) });
  second.m.start();
  await waitUntil('the certificate', () => second.got.length === 1);
  await second.m.stop();
  assert.equal(kube.csrs.list().items.length, 1);
  assert.equal(kube.callsOf('certificatesigningrequests', 'create').length, 2, 'the second create met AlreadyExists');
  assert.equal(second.got[0].pair.certPem, certPem.replace(/\n*$/, '\n'));
});

test('a CSR of the same name made with another key is not taken', async () => {
  const kube = new FakeKube();
  const time = fakeTime(Date.now());
  const dir = path.join(root, 'clash');
  const first = manager(kube, { store: new CertificateStore(dir), waitTimeoutMs: 60_000 });
  first.m.start();
  await waitUntil('the first CSR', () => kube.csrs.list().items.length === 1);
  await first.m.stop();
  // Someone else's request under our name.
  const [ours] = csrs(kube);
  const other = await makeCsr(testKey(), { commonName: 'system:node:node-a', organizations: ['system:nodes'] });
  kube.csrs.put({ ...ours, spec: { ...ours.spec, request: Buffer.from(other).toString('base64') } } as never, 'MODIFIED');
  const second = manager(kube, { store: new CertificateStore(dir), time });
  second.m.start();
  await waitUntil('a retry', () => time.sleeps.length >= 1);
  await second.m.stop();
  assert.equal(second.got.length, 0);
});
