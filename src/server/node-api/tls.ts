// The node API's TLS material: the serving pair (--tls-cert-file/--tls-private-key-file, else self-signed in --cert-dir as the kubelet's InitializeTLS) and the client CAs (--client-ca-file plus the local CLI's CA).
import { X509Certificate } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Files the agent keeps in --cert-dir. */
export const CERT_FILES = {
  servingCert: 'kubelet.crt',
  servingKey: 'kubelet.key',
  /** The CA the agent trusts for the local CLI (public). */
  localCA: 'local-ca.crt',
  /** The local CLI's client certificate and key: root only (0600). */
  localClientCert: 'local-client.crt',
  localClientKey: 'local-client.key',
} as const;

/** Who the local CLI's certificate names. */
export const LOCAL_USER = 'mini-kubelet-local';

/** Credentials closer than this to their end are made anew at start. */
const RENEW_BEFORE_MS = 30 * 24 * 3600 * 1000;

export interface ServingTLSOptions {
  certDir: string;
  tlsCertFile?: string;
  tlsPrivateKeyFile?: string;
  /** --client-ca-file: the CA bundle client certificates are verified against. */
  clientCAFile?: string;
  /** The node's host name and IPs: the self-signed certificate's names. */
  hostName: string;
  ips: string[];
  now?: () => Date;
}

export interface ServingTLS {
  cert: string;
  key: string;
  /** The serving certificate's file (the local CLI trusts it when it is self-signed). */
  certFile: string;
  /** Every CA a client certificate may chain to: --client-ca-file's, then the local CA. */
  clientCAs: string[];
  /** The local CA alone: a client it signed is the local CLI. */
  localCA: X509Certificate;
}

/** Writes `file` through a temporary file and a rename, so a reader never sees half of it. */
async function writeAtomic(file: string, data: string, mode: number): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, data, { mode });
  await chmod(tmp, mode);
  await rename(tmp, file);
}

/**
 * certs.js loads @peculiar/x509 and reflect-metadata (~20 MB RSS, about a second): imported only
 * when a certificate must be made, so an agent restarted on its --cert-dir never loads them.
 */
const certs = () => import('./certs.js');

async function readOrUndefined(file: string): Promise<string | undefined> {
  return readFile(file, 'utf8').catch(() => undefined);
}

async function servingPair(o: ServingTLSOptions, now: Date): Promise<{ cert: string; key: string; certFile: string }> {
  if (o.tlsCertFile || o.tlsPrivateKeyFile) {
    if (!o.tlsCertFile || !o.tlsPrivateKeyFile) throw new Error('--tls-cert-file and --tls-private-key-file go together: give both or neither');
    const [cert, key] = await Promise.all([readFile(o.tlsCertFile, 'utf8'), readFile(o.tlsPrivateKeyFile, 'utf8')]).catch((err: Error) => {
      throw new Error(`cannot read the node API's serving certificate: ${err.message}`);
    });
    return { cert, key, certFile: o.tlsCertFile };
  }
  const certFile = path.join(o.certDir, CERT_FILES.servingCert);
  const keyFile = path.join(o.certDir, CERT_FILES.servingKey);
  const [cert, key] = await Promise.all([readOrUndefined(certFile), readOrUndefined(keyFile)]);
  // The kubelet keeps any pair it can read; one that has expired is made anew here.
  if (cert && key && tryFresh(cert, now, 0)) return { cert, key, certFile };
  const pair = await (await certs()).selfSignedServingPair(o.hostName, o.ips, ['localhost'], now);
  await writeAtomic(keyFile, pair.key, 0o600);
  await writeAtomic(certFile, pair.cert, 0o644);
  return { ...pair, certFile };
}

/** A certificate that parses, has started, and ends more than marginMs from now. */
function tryFresh(pem: string, now: Date, marginMs = RENEW_BEFORE_MS): boolean {
  try {
    const c = new X509Certificate(pem);
    return new Date(c.validTo).getTime() - now.getTime() > marginMs && new Date(c.validFrom) <= now;
  } catch {
    return false;
  }
}

/** The local CA and the CLI's certificate, reused while they are good, else made anew (all three files). */
async function localCredentials(certDir: string, now: Date): Promise<string> {
  const files = {
    ca: path.join(certDir, CERT_FILES.localCA),
    cert: path.join(certDir, CERT_FILES.localClientCert),
    key: path.join(certDir, CERT_FILES.localClientKey),
  };
  const [ca, cert, key] = await Promise.all([readOrUndefined(files.ca), readOrUndefined(files.cert), readOrUndefined(files.key)]);
  if (ca && cert && key && tryFresh(ca, now) && tryFresh(cert, now)) {
    const caCert = new X509Certificate(ca);
    if (new X509Certificate(cert).checkIssued(caCert)) {
      await chmod(files.key, 0o600);
      return ca;
    }
  }
  const made = await (await certs()).localClientCredentials(LOCAL_USER, now);
  await writeAtomic(files.key, made.client.key, 0o600);
  await writeAtomic(files.cert, made.client.cert, 0o600);
  await writeAtomic(files.ca, made.caCert, 0o644);
  return made.caCert;
}

/** Loads or makes everything the node API's TLS needs. Throws a message naming the file at fault. */
export async function loadServingTLS(o: ServingTLSOptions): Promise<ServingTLS> {
  const now = (o.now ?? (() => new Date()))();
  // The directory holds a private key the local CLI uses as root: nobody else may list or read it.
  await mkdir(o.certDir, { recursive: true, mode: 0o700 });
  const serving = await servingPair(o, now);
  const localCA = await localCredentials(o.certDir, now);
  const clientCAs: string[] = [];
  if (o.clientCAFile) {
    const bundle = await readFile(o.clientCAFile, 'utf8').catch((err: Error) => {
      throw new Error(`cannot read --client-ca-file: ${err.message}`);
    });
    if (!bundle.includes('-----BEGIN CERTIFICATE-----')) throw new Error(`--client-ca-file ${o.clientCAFile} holds no PEM certificate`);
    clientCAs.push(bundle);
  }
  clientCAs.push(localCA);
  return { ...serving, clientCAs, localCA: new X509Certificate(localCA) };
}
