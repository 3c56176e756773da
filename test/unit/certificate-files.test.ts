// The files of the TLS bootstrap: the certificate store in --cert-dir, the kubeconfig check, the written kubeconfig, and the decision between them.
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import pino from 'pino';
import { stringify } from 'yaml';
import { checkClientConfig, loadKubeconfig, writeKubeconfigFromBootstrapping } from '../../src/certificate/client-config.js';
import { parsePair } from '../../src/certificate/pair.js';
import { CertificateStore } from '../../src/certificate/store.js';
import { planNodeCredentials } from '../../src/cli/cluster-credentials.js';
import { testCa, testKey } from '../support/test-ca.js';

const root = mkdtempSync(path.join(tmpdir(), 'mk-certs-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = () => path.join(root, `d${++n}`);
const ca = await testCa();
const HOUR = 3600_000;
const log = pino({ level: 'silent' });

/** A node client certificate and its key, valid from `from` to `to` (ms from now). */
async function nodePair(name = 'n1', from = -HOUR, to = HOUR) {
  const keyPem = testKey();
  const certPem = await ca.issue({ keyPem, commonName: `system:node:${name}`, organizations: ['system:nodes'], notBefore: new Date(Date.now() + from), notAfter: new Date(Date.now() + to) });
  return { certPem, keyPem };
}

/** A kubeconfig file for the test CA's server with `user` as its user entry. */
function kubeconfigFile(dir: string, user: Record<string, string>): string {
  const file = path.join(dir, `kc-${++n}.yaml`);
  writeFileSync(file, stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'c',
    clusters: [{ name: 'k', cluster: { server: 'https://127.0.0.1:6443', 'certificate-authority-data': Buffer.from(ca.certPem).toString('base64') } }],
    users: [{ name: 'u', user }],
    contexts: [{ name: 'c', context: { cluster: 'k', user: 'u' } }],
  }));
  return file;
}

describe('the certificate store (client-go FileStore)', () => {
  test('update writes kubelet-client-<timestamp>.pem (certificate then key, 0600) and points kubelet-client-current.pem at it', async () => {
    const dir = fresh();
    const store = new CertificateStore(dir, () => new Date(2025, 0, 2, 3, 4, 5));
    assert.equal(store.current(), undefined);
    const p = await nodePair();
    const pair = store.update(p.certPem, p.keyPem);
    const file = path.join(dir, 'kubelet-client-2025-01-02-03-04-05.pem');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(readFileSync(file, 'utf8'), pair.certPem + pair.keyPem);
    assert.ok(lstatSync(store.currentPath).isSymbolicLink());
    assert.equal(readlinkSync(store.currentPath), file);
    assert.equal(store.current()?.serialNumber, pair.serialNumber);
    assert.equal(pair.commonName, 'system:node:n1');
    assert.deepEqual(pair.organizations, ['system:nodes']);
  });

  test('a second update moves the link; the old file stays', async () => {
    const dir = fresh();
    let t = new Date(2025, 0, 1, 0, 0, 0);
    const store = new CertificateStore(dir, () => t);
    const a = await nodePair();
    store.update(a.certPem, a.keyPem);
    t = new Date(2025, 6, 1, 0, 0, 0);
    const b = await nodePair();
    const second = store.update(b.certPem, b.keyPem);
    assert.equal(store.current()?.serialNumber, second.serialNumber);
    assert.ok(existsSync(path.join(dir, 'kubelet-client-2025-01-01-00-00-00.pem')));
    assert.ok(!existsSync(path.join(dir, 'kubelet-client-updated.pem')));
  });

  test('a swap cut short (only the updated link left) is finished on the next read (FileStore.recover)', async () => {
    const dir = fresh();
    const store = new CertificateStore(dir);
    const p = await nodePair();
    const pair = store.update(p.certPem, p.keyPem);
    const target = readlinkSync(store.currentPath);
    rmSync(store.currentPath);
    symlinkSync(target, path.join(dir, 'kubelet-client-updated.pem'));
    assert.equal(store.current()?.serialNumber, pair.serialNumber);
  });

  test('a key that is not the certificate\'s is refused, and nothing is written', async () => {
    const dir = fresh();
    const store = new CertificateStore(dir);
    const p = await nodePair();
    assert.throws(() => store.update(p.certPem, testKey()), /does not match/);
    assert.ok(!existsSync(dir));
  });

  test('a regular file where the current link belongs is an error, not overwritten', async () => {
    const dir = fresh();
    const store = new CertificateStore(dir);
    const p = await nodePair();
    store.update(p.certPem, p.keyPem);
    rmSync(store.currentPath);
    writeFileSync(store.currentPath, p.certPem + p.keyPem);
    assert.throws(() => store.update(p.certPem, p.keyPem), /expected .*kubelet-client-current\.pem to be a symlink/);
  });

  test('the bootstrap key is kept (0600) until removed, and the same one comes back after a restart', () => {
    const dir = fresh();
    const key = new CertificateStore(dir).loadOrGenerateBootstrapKey();
    assert.equal(statSync(path.join(dir, 'kubelet-client.key.tmp')).mode & 0o777, 0o600);
    assert.equal(new CertificateStore(dir).loadOrGenerateBootstrapKey(), key);
    new CertificateStore(dir).removeBootstrapKey();
    assert.notEqual(new CertificateStore(dir).loadOrGenerateBootstrapKey(), key);
  });
});

describe('is --kubeconfig still usable (bootstrap.isClientConfigStillValid)', () => {
  test('the decision table', async () => {
    const dir = fresh();
    mkdirSync(dir);
    const valid = await nodePair();
    const expired = await nodePair('n1', -2 * HOUR, -HOUR);
    const write = (name: string, text: string) => (writeFileSync(path.join(dir, name), text), path.join(dir, name));
    const cases: Array<[string, string, RegExp | true]> = [
      ['no kubeconfig', path.join(dir, 'missing.conf'), /does not exist/],
      ['a valid certificate (files)', kubeconfigFile(dir, { 'client-certificate': write('v.crt', valid.certPem), 'client-key': write('v.key', valid.keyPem) }), true],
      ['a valid certificate (inline data)', kubeconfigFile(dir, { 'client-certificate-data': Buffer.from(valid.certPem).toString('base64'), 'client-key-data': Buffer.from(valid.keyPem).toString('base64') }), true],
      ['an expired certificate', kubeconfigFile(dir, { 'client-certificate': write('e.crt', expired.certPem), 'client-key': write('e.key', expired.keyPem) }), /is expired/],
      ['a token, no certificate', kubeconfigFile(dir, { token: 'abc.def' }), /holds no client certificate/],
      ['a certificate file that is gone', kubeconfigFile(dir, { 'client-certificate': path.join(dir, 'gone.pem'), 'client-key': path.join(dir, 'gone.pem') }), /unable to read/],
      ['a key for another certificate', kubeconfigFile(dir, { 'client-certificate': write('m.crt', valid.certPem), 'client-key': write('m.key', testKey()) }), /does not match/],
      ['not a kubeconfig', write('junk.conf', 'kind: Config\n'), /unable to read/],
    ];
    for (const [name, file, want] of cases) {
      const r = checkClientConfig(file, Date.now());
      if (want === true) assert.deepEqual(r, { valid: true }, name);
      else assert.ok(!r.valid && want.test(r.reason), `${name}: ${JSON.stringify(r)}`);
    }
  });

  test('the written kubeconfig: the bootstrap one\'s server and CA, the current pem as certificate and key, 0600', async () => {
    const dir = fresh();
    mkdirSync(dir);
    const bootstrap = loadKubeconfig(kubeconfigFile(dir, { token: 'abcdef.0123456789abcdef' }));
    const out = path.join(dir, 'sub', 'kubelet.conf');
    const store = new CertificateStore(path.join(dir, 'pki'));
    const p = await nodePair();
    store.update(p.certPem, p.keyPem);
    writeKubeconfigFromBootstrapping(bootstrap, out, store.currentPath);
    assert.equal(statSync(out).mode & 0o777, 0o600);
    const kc = loadKubeconfig(out);
    assert.equal(kc.getCurrentCluster()?.server, 'https://127.0.0.1:6443');
    assert.equal(kc.getCurrentCluster()?.caData, Buffer.from(ca.certPem).toString('base64'));
    assert.equal(kc.getCurrentUser()?.certFile, store.currentPath);
    assert.equal(kc.getCurrentUser()?.keyFile, store.currentPath);
    assert.equal(kc.getCurrentUser()?.token, undefined, 'the bootstrap token is not carried over');
    assert.deepEqual(checkClientConfig(out, Date.now()), { valid: true });
  });
});

describe('where the node\'s credentials come from (planNodeCredentials)', () => {
  async function setup() {
    const dir = fresh();
    mkdirSync(dir);
    const bootstrap = kubeconfigFile(dir, { token: 'abcdef.0123456789abcdef' });
    const valid = await nodePair();
    const write = (name: string, text: string) => (writeFileSync(path.join(dir, name), text), path.join(dir, name));
    const validKc = kubeconfigFile(dir, { 'client-certificate': write('v.crt', valid.certPem), 'client-key': write('v.key', valid.keyPem) });
    const expired = await nodePair('n1', -2 * HOUR, -HOUR);
    const expiredKc = kubeconfigFile(dir, { 'client-certificate': write('e.crt', expired.certPem), 'client-key': write('e.key', expired.keyPem) });
    return { dir, bootstrap, validKc, expiredKc, valid, store: new CertificateStore(path.join(dir, 'pki')) };
  }
  const plan = (o: Record<string, unknown>, store: CertificateStore) =>
    planNodeCredentials({ rotateCertificates: false, ...o } as never, store, Date.now(), log);

  test('no bootstrap, no rotation: the kubeconfig as it is', async () => {
    const s = await setup();
    assert.equal(plan({ kubeconfig: s.expiredKc }, s.store).kind, 'kubeconfig');
  });
  test('no kubeconfig yet: bootstrap', async () => {
    const s = await setup();
    const p = plan({ kubeconfig: path.join(s.dir, 'kubelet.conf'), bootstrapKubeconfig: s.bootstrap }, s.store);
    assert.equal(p.kind, 'bootstrap');
    assert.match((p as { reason: string }).reason, /does not exist/);
  });
  test('an expired certificate: bootstrap', async () => {
    const s = await setup();
    const p = plan({ kubeconfig: s.expiredKc, bootstrapKubeconfig: s.bootstrap }, s.store);
    assert.equal(p.kind, 'bootstrap');
    assert.match((p as { reason: string }).reason, /expired/);
  });
  test('a valid certificate: the kubeconfig as it is, the bootstrap kubeconfig not even read', async () => {
    const s = await setup();
    assert.equal(plan({ kubeconfig: s.validKc, bootstrapKubeconfig: path.join(s.dir, 'no-such-bootstrap.conf') }, s.store).kind, 'kubeconfig');
  });
  test('the bootstrap kubeconfig missing when it is needed: an error naming it', async () => {
    const s = await setup();
    assert.throws(() => plan({ kubeconfig: s.expiredKc, bootstrapKubeconfig: path.join(s.dir, 'nope.conf') }, s.store), /unable to load bootstrap kubeconfig .*nope\.conf/);
  });
  test('bootstrap with a valid pair already in --cert-dir: that pair, no new CSR', async () => {
    const s = await setup();
    const stored = s.store.update(s.valid.certPem, s.valid.keyPem);
    const p = plan({ kubeconfig: path.join(s.dir, 'kubelet.conf'), bootstrapKubeconfig: s.bootstrap }, s.store);
    assert.equal(p.kind === 'bootstrap' && p.initial?.serialNumber, stored.serialNumber);
  });
  test('rotation: --cert-dir\'s current pair first, else the kubeconfig\'s (inline data is rotated at once), a token: nothing to rotate', async () => {
    const s = await setup();
    const fromKc = plan({ kubeconfig: s.validKc, rotateCertificates: true }, s.store);
    assert.equal(fromKc.kind === 'rotate' && fromKc.forceRotation, false);
    const inline = kubeconfigFile(s.dir, { 'client-certificate-data': Buffer.from(s.valid.certPem).toString('base64'), 'client-key-data': Buffer.from(s.valid.keyPem).toString('base64') });
    const forced = plan({ kubeconfig: inline, rotateCertificates: true }, s.store);
    assert.equal(forced.kind === 'rotate' && forced.forceRotation, true);
    assert.equal(plan({ kubeconfig: kubeconfigFile(s.dir, { token: 't' }), rotateCertificates: true }, s.store).kind, 'kubeconfig');
    const other = await nodePair('n1');
    const stored = s.store.update(other.certPem, other.keyPem);
    const p = plan({ kubeconfig: s.validKc, rotateCertificates: true }, s.store);
    assert.equal(p.kind === 'rotate' && p.initial.serialNumber, stored.serialNumber);
  });
});

test('parsePair reads a combined file and reports the chain\'s earliest expiry', async () => {
  const p = await nodePair('n9', -HOUR, 2 * HOUR);
  const pair = parsePair(p.certPem + p.keyPem, p.certPem + p.keyPem);
  assert.equal(pair.commonName, 'system:node:n9');
  assert.ok(Math.abs(pair.notAfter.getTime() - (Date.now() + 2 * HOUR)) < 5000);
  assert.throws(() => parsePair(p.keyPem, p.keyPem), /no certificate/);
  assert.throws(() => parsePair(p.certPem, p.certPem), /no private key/);
});
