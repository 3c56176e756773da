// A client certificate and its key, read from PEM and checked as Go's tls.X509KeyPair checks them (the key matches, the chain parses), with its validity.
import { createPrivateKey, X509Certificate } from 'node:crypto';

/** A client certificate (leaf first, then any intermediates) and its private key, as PEM. */
export interface CertKeyPair {
  certPem: string;
  keyPem: string;
  /** The leaf's subject CommonName and Organizations. */
  commonName: string;
  organizations: string[];
  notBefore: Date;
  notAfter: Date;
  /** The earliest notAfter of the chain: the kubelet calls the pair expired once any certificate is. */
  chainNotAfter: Date;
  serialNumber: string;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n[\s\S]*?-----END \1-----/g;

/** The PEM blocks of `text` with their type ("CERTIFICATE", "EC PRIVATE KEY", ...), in order. */
export function pemBlocks(text: string): Array<{ type: string; pem: string }> {
  return [...text.matchAll(BLOCK)].map((m) => ({ type: m[1], pem: `${m[0]}\n` }));
}

/** The certificate blocks of `text` as one PEM string ("" when there are none). */
export function certificatesOf(text: string): string {
  return pemBlocks(text).filter((b) => b.type === 'CERTIFICATE').map((b) => b.pem).join('');
}

/** The first private-key block of `text` ("" when there is none). */
export function privateKeyOf(text: string): string {
  return pemBlocks(text).find((b) => /PRIVATE KEY$/.test(b.type))?.pem ?? '';
}

/** Parses a pair; throws saying what is wrong (no certificate, no key, a key for another certificate). */
export function parsePair(certText: string, keyText: string): CertKeyPair {
  const certPem = certificatesOf(certText);
  const keyPem = privateKeyOf(keyText);
  if (!certPem) throw new Error('no certificate in the PEM data');
  if (!keyPem) throw new Error('no private key in the PEM data');
  const chain = pemBlocks(certPem).map((b) => new X509Certificate(b.pem));
  const leaf = chain[0];
  if (!leaf.checkPrivateKey(createPrivateKey(keyPem))) throw new Error('the private key does not match the certificate');
  const subject = parseSubject(leaf.subject);
  return {
    certPem,
    keyPem,
    commonName: subject.CN?.[0] ?? '',
    organizations: subject.O ?? [],
    notBefore: new Date(leaf.validFrom),
    notAfter: new Date(leaf.validTo),
    chainNotAfter: new Date(Math.min(...chain.map((c) => Date.parse(c.validTo)))),
    serialNumber: leaf.serialNumber,
  };
}

/** Whether any certificate of the pair has expired at `now` (isClientConfigStillValid: now.After(cert.NotAfter)). */
export function isExpired(pair: CertKeyPair, now: number): boolean {
  return now > pair.chainNotAfter.getTime();
}

/** node:crypto's subject text ("O=system:nodes\nCN=system:node:a") as attribute lists. */
function parseSubject(text: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) (out[line.slice(0, eq)] ??= []).push(line.slice(eq + 1));
  }
  return out;
}
