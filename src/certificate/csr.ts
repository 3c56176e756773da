// The node's client certificate request: an ECDSA P-256 key, a PKCS#10 CSR for system:node:<name> in system:nodes, its usages and its digested name, as the kubelet makes them.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, webcrypto, type KeyObject } from 'node:crypto';
import { x509 } from './x509.js';

/** certificates.k8s.io/v1 KubeAPIServerClientKubeletSignerName. */
export const KUBELET_CLIENT_SIGNER = 'kubernetes.io/kube-apiserver-client-kubelet';

/** The kubelet's client certificate template: CN system:node:<node>, O system:nodes. */
export function nodeSubject(nodeName: string): { commonName: string; organizations: string[] } {
  return { commonName: `system:node:${nodeName}`, organizations: ['system:nodes'] };
}

/**
 * A new private key as the certificate manager's generateCSR makes it: ECDSA on P-256, PEM in
 * SEC 1 form ("EC PRIVATE KEY", keyutil.ECPrivateKeyBlockType).
 */
export function generateKey(): string {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return privateKey.export({ type: 'sec1', format: 'pem' }) as string;
}

/**
 * certificate.DefaultKubeletClientGetUsages: digital signature and client auth, plus key
 * encipherment for an RSA key (an RSA key can encipher the TLS key exchange, an ECDSA key cannot).
 */
export function clientUsages(keyPem: string): string[] {
  const rsa = createPrivateKey(keyPem).asymmetricKeyType === 'rsa';
  return rsa ? ['digital signature', 'key encipherment', 'client auth'] : ['digital signature', 'client auth'];
}

/** certutil.MakeCSR: a PKCS#10 request with only the subject (O before CN, as Go orders a pkix.Name), signed by the key. */
export async function makeCsr(keyPem: string, subject: { commonName: string; organizations: string[] }): Promise<string> {
  const priv = createPrivateKey(keyPem);
  const pub = createPublicKey(priv);
  const algorithm = signingAlgorithm(priv);
  const der = (k: KeyObject, type: 'pkcs8' | 'spki') => k.export({ type, format: 'der' });
  const keys = {
    privateKey: await webcrypto.subtle.importKey('pkcs8', der(priv, 'pkcs8'), algorithm, false, ['sign']),
    publicKey: await webcrypto.subtle.importKey('spki', der(pub, 'spki'), algorithm, true, ['verify']),
  };
  const name = [...subject.organizations.map((o) => ({ O: [o] })), { CN: [subject.commonName] }];
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: name as x509.JsonName,
    keys: keys as unknown as CryptoKeyPair,
    signingAlgorithm: algorithm,
  });
  return `${csr.toString('pem')}\n`;
}

function signingAlgorithm(key: KeyObject): RsaHashedImportParams | EcKeyImportParams & { hash: string } {
  if (key.asymmetricKeyType === 'rsa') return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') {
    return { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  }
  throw new Error(`unsupported private key for a certificate request: ${key.asymmetricKeyType} ${key.asymmetricKeyDetails?.namedCurve ?? ''}`.trim());
}

/**
 * bootstrap.digestedName: "node-csr-" and a SHA-512/256 over the public key, the subject and the
 * usages, so a kubelet restarted with the same key asks for the same CSR instead of a second one.
 */
export function digestedName(keyPem: string, subject: { commonName: string; organizations: string[] }, usages: string[]): string {
  const hash = createHash('sha512-256');
  // '|' is not in base64url's alphabet, so 'CN:foo,O:bar' and 'CN:foob,O:ar' cannot collide.
  const write = (data: Buffer | string) => {
    hash.update(Buffer.from(data).toString('base64url'));
    hash.update('|');
  };
  write(createPublicKey(keyPem).export({ type: 'spki', format: 'der' }));
  write(subject.commonName);
  for (const o of subject.organizations) write(o);
  for (const u of usages) write(u);
  return `node-csr-${hash.digest('base64url')}`;
}

/** The request's subject and public key (SPKI DER), to check a CSR found under our name was made with our key. */
export function describeCsr(csrPem: string): { subject: string; publicKey: Buffer; signatureValid: Promise<boolean> } {
  const csr = new x509.Pkcs10CertificateRequest(csrPem);
  return { subject: csr.subject, publicKey: Buffer.from(csr.publicKey.rawData), signatureValid: csr.verify() };
}
