// The node API's TLS material in --cert-dir: made once with root-only keys, reused, made anew when expired; the local credentials, and the webhook mode letting only them skip the SubjectAccessReview.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { NodeApiAuthenticator } from '../../src/server/node-api/authn.js';
import { WebhookAuthorizer } from '../../src/server/node-api/authz.js';
import { CERT_FILES, loadServingTLS, LOCAL_USER } from '../../src/server/node-api/tls.js';
import { FakeKube } from '../support/fake-kube.js';
import { request, startHarness } from '../support/node-api-harness.js';

const dir = mkdtempSync(path.join(tmpdir(), 'mk-node-api-tls-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('--cert-dir', () => {
  test('a self-signed pair for the node name and IPs, and the local credentials, keys 0600 in a 0700 directory', async () => {
    const certDir = path.join(dir, 'a', 'pki');
    const tls = await loadServingTLS({ certDir, hostName: 'node-1', ips: ['10.1.2.3', '127.0.0.1'] });
    assert.equal(statSync(certDir).mode & 0o777, 0o700);
    for (const f of [CERT_FILES.servingKey, CERT_FILES.localClientKey, CERT_FILES.localClientCert]) assert.equal(statSync(path.join(certDir, f)).mode & 0o777, 0o600, f);
    const leaf = new X509Certificate(tls.cert);
    assert.match(leaf.subject, /^CN=node-1@\d+$/);
    assert.equal(leaf.subjectAltName, 'DNS:node-1, IP Address:10.1.2.3, IP Address:127.0.0.1, DNS:localhost');
    assert.match(leaf.issuer, /^CN=node-1-ca@\d+$/);
    const client = new X509Certificate(readFileSync(path.join(certDir, CERT_FILES.localClientCert)));
    assert.equal(client.subject, `CN=${LOCAL_USER}`);
    assert.ok(client.checkIssued(tls.localCA) && client.verify(tls.localCA.publicKey));
    assert.deepEqual(tls.clientCAs.length, 1, 'no --client-ca-file: the local CA alone');
    // A second start reuses everything.
    const again = await loadServingTLS({ certDir, hostName: 'node-1', ips: ['10.1.2.3'] });
    assert.equal(again.cert, tls.cert);
    assert.equal(again.localCA.fingerprint256, tls.localCA.fingerprint256);
  });

  test('broken files are made anew; --tls-cert-file needs its key; a --client-ca-file without a certificate is refused', async () => {
    const certDir = path.join(dir, 'b');
    const first = await loadServingTLS({ certDir, hostName: 'n', ips: [] });
    writeFileSync(path.join(certDir, CERT_FILES.servingCert), 'garbage');
    writeFileSync(path.join(certDir, CERT_FILES.localCA), 'garbage');
    const second = await loadServingTLS({ certDir, hostName: 'n', ips: [] });
    assert.notEqual(second.cert, first.cert);
    assert.notEqual(second.localCA.fingerprint256, first.localCA.fingerprint256);
    await assert.rejects(loadServingTLS({ certDir, hostName: 'n', ips: [], tlsCertFile: '/x.crt' }), /go together/);
    writeFileSync(path.join(dir, 'empty-ca.crt'), 'nothing');
    await assert.rejects(loadServingTLS({ certDir, hostName: 'n', ips: [], clientCAFile: path.join(dir, 'empty-ca.crt') }), /holds no PEM certificate/);
    await assert.rejects(loadServingTLS({ certDir, hostName: 'n', ips: [], clientCAFile: path.join(dir, 'missing.crt') }), /cannot read --client-ca-file/);
  });

  test('an expired self-signed pair is made anew', async () => {
    const certDir = path.join(dir, 'c');
    const old = await loadServingTLS({ certDir, hostName: 'n', ips: [], now: () => new Date(Date.now() - 400 * 24 * 3600 * 1000) });
    const now = await loadServingTLS({ certDir, hostName: 'n', ips: [] });
    assert.notEqual(now.cert, old.cert);
  });
});

describe('Webhook mode', () => {
  test('the local CLI needs no SubjectAccessReview; a --client-ca-file user does', async () => {
    const kube = new FakeKube();
    const client = kube.client();
    let tlsCA: X509Certificate | undefined;
    const h = await startHarness({
      authenticator: { authenticate: (req) => new NodeApiAuthenticator({ localCA: tlsCA, tokenCacheTtlMs: 1000, anonymous: false }).authenticate(req) },
      authorizer: new WebhookAuthorizer({ reviews: client.subjectAccessReviews, allowTtlMs: 1000, denyTtlMs: 1000 }),
    });
    tlsCA = h.tls.localCA;
    try {
      assert.equal((await request(h, '/healthz', h.local)).status, 200);
      assert.equal(kube.callsOf('subjectaccessreviews').length, 0);
      assert.equal((await request(h, '/healthz', h.alice)).status, 403);
      assert.equal(kube.callsOf('subjectaccessreviews').length, 1);
    } finally {
      await h.stop();
    }
  });
});
