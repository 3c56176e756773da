// The node's client certificate request as the kubelet makes it: key, subject, signature, usages, the bootstrap CSR's name.
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import { x509 } from '../../src/certificate/x509.js';
import { clientUsages, digestedName, generateKey, makeCsr, nodeSubject } from '../../src/certificate/csr.js';

const RSA_KEY = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }) as string;

test('the key is ECDSA on P-256, PEM as "EC PRIVATE KEY" (certificate manager: generateCSR)', () => {
  const pem = generateKey();
  assert.match(pem, /^-----BEGIN EC PRIVATE KEY-----\n/);
  const key = createPrivateKey(pem);
  assert.equal(key.asymmetricKeyType, 'ec');
  assert.equal(key.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  assert.notEqual(generateKey(), pem, 'a new key each time');
});

test('the CSR asks for CN system:node:<node>, O system:nodes, nothing else, signed by the key', async () => {
  const key = generateKey();
  const csr = new x509.Pkcs10CertificateRequest(await makeCsr(key, nodeSubject('worker-1')));
  // Go's pkix.Name puts O before CN.
  assert.equal(csr.subject, 'O=system:nodes, CN=system:node:worker-1');
  assert.equal(csr.extensions.length, 0, 'no SANs: a kubelet client certificate has none (the approver refuses them)');
  assert.equal(await csr.verify(), true);
  assert.equal(csr.signatureAlgorithm.name, 'ECDSA');
  assert.deepEqual(Buffer.from(csr.publicKey.rawData), createPublicKey(key).export({ type: 'spki', format: 'der' }), 'the CSR carries this key');
});

test('an RSA key (a kubeconfig handed over by an operator) signs its CSR with RSA', async () => {
  const csr = new x509.Pkcs10CertificateRequest(await makeCsr(RSA_KEY, nodeSubject('n')));
  assert.equal(csr.signatureAlgorithm.name, 'RSASSA-PKCS1-v1_5');
  assert.equal(await csr.verify(), true);
});

test('usages (DefaultKubeletClientGetUsages): key encipherment only for RSA', () => {
  assert.deepEqual(clientUsages(generateKey()), ['digital signature', 'client auth']);
  assert.deepEqual(clientUsages(RSA_KEY), ['digital signature', 'key encipherment', 'client auth']);
});

test('the bootstrap CSR name is node-csr-<SHA-512/256>: the same for the same key, subject and usages only', () => {
  const key = generateKey();
  const subject = nodeSubject('n1');
  const usages = clientUsages(key);
  const name = digestedName(key, subject, usages);
  assert.match(name, /^node-csr-[A-Za-z0-9_-]{43}$/);
  assert.equal(digestedName(key, subject, usages), name, 'stable across restarts');
  assert.notEqual(digestedName(generateKey(), subject, usages), name, 'another key');
  assert.notEqual(digestedName(key, nodeSubject('n2'), usages), name, 'another node');
  assert.notEqual(digestedName(key, subject, ['digital signature']), name, 'other usages');
  // The delimiter keeps CN "a" + O "bc" apart from CN "ab" + O "c".
  assert.notEqual(digestedName(key, { commonName: 'a', organizations: ['bc'] }, []), digestedName(key, { commonName: 'ab', organizations: ['c'] }, []));
});
