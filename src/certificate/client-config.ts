// The kubeconfig side of the TLS bootstrap: whether --kubeconfig still holds usable credentials, and the kubeconfig written once the node has its certificate (kubelet: pkg/kubelet/certificate/bootstrap).
import { KubeConfig } from '@kubernetes/client-node';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { isExpired, parsePair, type CertKeyPair } from './pair.js';

/** Loads a kubeconfig file (paths in it made absolute), throwing why not; it must name a current cluster. */
export function loadKubeconfig(file: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(file);
  if (!kc.getCurrentCluster()) throw new Error('it names no current cluster');
  return kc;
}

/** The current user's client certificate and key (files or inline data), or undefined when it has none (a token). */
export function kubeconfigCertificate(kc: KubeConfig): CertKeyPair | undefined {
  const user = kc.getCurrentUser();
  const read = (file?: string, data?: string) => (file ? readFileSync(file, 'utf8') : data ? Buffer.from(data, 'base64').toString() : '');
  const cert = read(user?.certFile, user?.certData);
  const key = read(user?.keyFile, user?.keyData);
  if (!cert && !key) return undefined;
  return parsePair(cert, key);
}

export type ClientConfigCheck = { valid: true } | { valid: false; reason: string };

/**
 * bootstrap.isClientConfigStillValid: the kubeconfig exists, loads, has a client certificate
 * whose key matches, and no certificate of it has expired. Only then is the bootstrap skipped.
 */
export function checkClientConfig(kubeconfig: string, now: number): ClientConfigCheck {
  if (!existsSync(kubeconfig)) return { valid: false, reason: `${kubeconfig} does not exist` };
  let pair: CertKeyPair | undefined;
  try {
    pair = kubeconfigCertificate(loadKubeconfig(kubeconfig));
  } catch (err) {
    return { valid: false, reason: `unable to read existing bootstrap client config from ${kubeconfig}: ${(err as Error).message}` };
  }
  if (!pair) return { valid: false, reason: `${kubeconfig} holds no client certificate` };
  if (isExpired(pair, now)) return { valid: false, reason: `part of the existing bootstrap client certificate in ${kubeconfig} is expired: ${pair.chainNotAfter.toISOString()}` };
  return { valid: true };
}

/**
 * bootstrap.writeKubeconfigFromBootstrapping: the bootstrap kubeconfig's cluster (server, CA file
 * or data, insecure flag) with a user whose certificate and key are both `pemPath` (the store's
 * current symlink, so a later rotation needs no rewrite). Written 0600 through a rename.
 */
export function writeKubeconfigFromBootstrapping(bootstrap: KubeConfig, kubeconfigPath: string, pemPath: string): void {
  const cluster = bootstrap.getCurrentCluster()!;
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{
      name: 'default-cluster',
      cluster: {
        server: cluster.server,
        ...(cluster.skipTLSVerify ? { 'insecure-skip-tls-verify': true } : {}),
        ...(cluster.caFile ? { 'certificate-authority': cluster.caFile } : cluster.caData ? { 'certificate-authority-data': cluster.caData } : {}),
        ...(cluster.tlsServerName ? { 'tls-server-name': cluster.tlsServerName } : {}),
      },
    }],
    users: [{ name: 'default-auth', user: { 'client-certificate': pemPath, 'client-key': pemPath } }],
    contexts: [{ name: 'default-context', context: { cluster: 'default-cluster', user: 'default-auth', namespace: 'default' } }],
    'current-context': 'default-context',
  };
  mkdirSync(path.dirname(kubeconfigPath), { recursive: true });
  const tmp = `${kubeconfigPath}.tmp-${process.pid}`;
  writeFileSync(tmp, stringify(doc), { mode: 0o600 });
  renameSync(tmp, kubeconfigPath);
}
