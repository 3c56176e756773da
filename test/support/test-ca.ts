// A certificate authority for tests: signs node client certificates (from a CSR or a key) and server certificates with chosen validity, as the controller manager's signer or the cluster's CA would.
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, webcrypto, type KeyObject } from 'node:crypto';
import { x509 } from '../../src/certificate/x509.js';
const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };

export interface IssueOptions {
  /** The subject's public key: from a CSR, or from a private key. */
  csrPem?: string;
  keyPem?: string;
  commonName?: string;
  organizations?: string[];
  notBefore?: Date;
  notAfter?: Date;
  /** Server certificate for these IP addresses (else a client certificate). */
  serverIps?: string[];
}

export interface TestCa {
  certPem: string;
  keyPem: string;
  /** A certificate (PEM) signed by this CA. Subject from the CSR unless given. */
  issue(o: IssueOptions): Promise<string>;
}

const importKey = (k: KeyObject, type: 'pkcs8' | 'spki') =>
  webcrypto.subtle.importKey(type, k.export({ type, format: 'der' }), EC, true, type === 'pkcs8' ? ['sign'] : ['verify']);

/** A fresh ECDSA P-256 key as PEM ("EC PRIVATE KEY"). */
export function testKey(): string {
  return generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'sec1', format: 'pem' }) as string;
}

/** A CA from an existing certificate and key (the cluster's own), or a new self-signed one. */
export async function testCa(existing?: { certPem: string; keyPem: string }): Promise<TestCa> {
  let certPem = existing?.certPem;
  const keyPem = existing?.keyPem ?? testKey();
  const caKey = createPrivateKey(keyPem);
  const signingKey = await importKey(caKey, 'pkcs8');
  if (!certPem) {
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: randomBytes(8).toString('hex'),
      name: 'CN=mini-kubelet-test-ca',
      notBefore: new Date(Date.now() - 3600_000),
      notAfter: new Date(Date.now() + 10 * 365 * 86400_000),
      keys: { privateKey: signingKey, publicKey: await importKey(createPublicKey(caKey), 'spki') } as CryptoKeyPair,
      signingAlgorithm: EC,
      extensions: [new x509.BasicConstraintsExtension(true, undefined, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true)],
    });
    certPem = cert.toString('pem');
  }
  // The CA's subject as it is encoded: Go finds a certificate's parent by the issuer's exact bytes.
  const issuer = new x509.X509Certificate(certPem).subjectName;
  return {
    certPem,
    keyPem,
    async issue(o) {
      const csr = o.csrPem ? new x509.Pkcs10CertificateRequest(o.csrPem) : undefined;
      const publicKey = csr ? await csr.publicKey.export(EC, ['verify']) : await importKey(createPublicKey(o.keyPem!), 'spki');
      const subject = o.commonName
        ? [...(o.organizations ?? []).map((org) => ({ O: [org] })), { CN: [o.commonName] }] as x509.JsonName
        : csr!.subject;
      const cert = await x509.X509CertificateGenerator.create({
        serialNumber: randomBytes(8).toString('hex'),
        issuer,
        subject,
        notBefore: o.notBefore ?? new Date(Date.now() - 60_000),
        notAfter: o.notAfter ?? new Date(Date.now() + 365 * 86400_000),
        publicKey,
        signingKey,
        signingAlgorithm: EC,
        extensions: [
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
          new x509.ExtendedKeyUsageExtension([o.serverIps ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth]),
          ...(o.serverIps ? [new x509.SubjectAlternativeNameExtension(o.serverIps.map((ip) => ({ type: 'ip' as const, value: ip })))] : []),
        ],
      });
      return cert.toString('pem');
    },
  };
}
