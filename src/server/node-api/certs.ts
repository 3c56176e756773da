// Makes the node API's certificates in memory: the self-signed serving pair (kubelet: certutil.GenerateSelfSignedCertKey) and the local CLI's client CA and certificate.
//
// @peculiar/x509 builds and signs X.509 with WebCrypto; it needs the reflect-metadata polyfill
// (its dependency injection), loaded first, here and nowhere else.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 24 * 3600 * 1000;
/** The kubelet's self-signed pair lives a year (certutil's maxAge); so do ours. */
export const CERT_VALIDITY_MS = 365 * DAY_MS;

export interface PemPair {
  /** PEM, the leaf first, then the CA that signed it when there is one. */
  cert: string;
  key: string;
}

async function keys(): Promise<CryptoKeyPair> {
  return crypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
}

async function keyPem(k: CryptoKey): Promise<string> {
  const der = Buffer.from(await crypto.subtle.exportKey('pkcs8', k));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n')}-----END PRIVATE KEY-----\n`;
}

/** A positive 128-bit serial (RFC 5280: at most 20 octets, positive). */
function serial(): string {
  const b = randomBytes(16);
  b[0] = b[0]! & 0x7f;
  return b.toString('hex');
}

/** A CN is a DN attribute value: characters that would end or escape it are dropped. */
const cn = (s: string) => s.replace(/[,=+<>#;"\\\n\r]/g, '_');

async function selfSignedCA(name: string, now: Date): Promise<{ cert: x509.X509Certificate; keys: CryptoKeyPair }> {
  const k = await keys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${cn(name)}`,
    notBefore: now,
    notAfter: new Date(now.getTime() + CERT_VALIDITY_MS),
    signingAlgorithm: ALG,
    keys: k,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(k.publicKey),
    ],
  });
  return { cert, keys: k };
}

async function leaf(ca: { cert: x509.X509Certificate; keys: CryptoKeyPair }, subject: string, now: Date, usage: 'server' | 'client', sans: x509.JsonGeneralName[]): Promise<PemPair> {
  const k = await keys();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject,
    issuer: ca.cert.subject,
    notBefore: now,
    notAfter: new Date(now.getTime() + CERT_VALIDITY_MS),
    signingAlgorithm: ALG,
    publicKey: k.publicKey,
    signingKey: ca.keys.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth]),
      await x509.AuthorityKeyIdentifierExtension.create(ca.keys.publicKey),
      ...(sans.length ? [new x509.SubjectAlternativeNameExtension(sans)] : []),
    ],
  });
  return { cert: cert.toString('pem') + '\n' + ca.cert.toString('pem') + '\n', key: await keyPem(k.privateKey) };
}

/**
 * certutil.GenerateSelfSignedCertKey(host, ips, dnsNames): a CA named "<host>-ca@<unix time>"
 * signs a serving certificate "<host>@<unix time>" for the host (a DNS name, or an IP) and the
 * other names; the file holds both. The CA's key is not kept.
 */
export async function selfSignedServingPair(host: string, ips: string[], dnsNames: string[], now = new Date()): Promise<PemPair> {
  const stamp = Math.floor(now.getTime() / 1000);
  const ca = await selfSignedCA(`${host}-ca@${stamp}`, now);
  const names = new Map<string, x509.JsonGeneralName>();
  for (const n of [host, ...ips, ...dnsNames]) if (n) names.set(n, { type: isIP(n) ? 'ip' : 'dns', value: n });
  return leaf(ca, `CN=${cn(`${host}@${stamp}`)}`, now, 'server', [...names.values()]);
}

/** The local CLI's credentials: a CA the agent trusts, and one client certificate it signed. */
export interface LocalClientCredentials {
  caCert: string;
  client: PemPair;
}

/**
 * A fresh CA ("mini-kubelet-local-ca@<unix time>") and a client certificate it signs for `user`.
 * The CA's key is thrown away: nothing can sign another certificate the agent would take as local.
 */
export async function localClientCredentials(user: string, now = new Date()): Promise<LocalClientCredentials> {
  const stamp = Math.floor(now.getTime() / 1000);
  const ca = await selfSignedCA(`mini-kubelet-local-ca@${stamp}`, now);
  const client = await leaf(ca, `CN=${cn(user)}`, now, 'client', []);
  return { caCert: ca.cert.toString('pem') + '\n', client };
}
