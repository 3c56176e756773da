// The node's API credentials: --kubeconfig as it is, or a client certificate got through --bootstrap-kubeconfig and renewed with --rotate-certificates (kubelet: buildKubeletClientConfig).
//
// Nothing here waits for the API server. Without a usable certificate the client is built at once
// and its requests wait (each up to its deadline) while the certificate manager asks for one in
// the background, as the kubelet does with rotation on ("will bootstrap in background"); static
// pods start meanwhile.
import type { Logger } from 'pino';
import type { KubeConfig } from '@kubernetes/client-node';
import { checkClientConfig, kubeconfigCertificate, loadKubeconfig, writeKubeconfigFromBootstrapping } from '../certificate/client-config.js';
import { CertificateManager } from '../certificate/manager.js';
import { isExpired, type CertKeyPair } from '../certificate/pair.js';
import { CertificateStore } from '../certificate/store.js';
import { createKubeClient, type KubeClientOptions, type RotatingKubeClient } from '../kubeclient/client.js';
import type { RunOptions } from './flags.js';
import { certDirOf } from './run-node-api.js';

export interface NodeCredentials {
  client: RotatingKubeClient;
  stop(): Promise<void>;
}

type Options = Pick<RunOptions, 'kubeconfig' | 'bootstrapKubeconfig' | 'certDir' | 'rootDir' | 'rotateCertificates'>;

/** Where the node's credentials come from (kubelet: buildKubeletClientConfig's cases). */
export type CredentialsPlan =
  /** --kubeconfig as it is: no bootstrap asked for or needed, no rotation (or nothing to rotate). */
  | { kind: 'kubeconfig'; why: string }
  /** A certificate is asked for with the bootstrap credentials; `initial`: a valid one already in --cert-dir. */
  | { kind: 'bootstrap'; bootstrap: KubeConfig; reason: string; initial?: CertKeyPair }
  /** --rotate-certificates with a certificate in hand (in --cert-dir, else the kubeconfig's). */
  | { kind: 'rotate'; initial: CertKeyPair; forceRotation: boolean };

/**
 * Decides from the files alone: bootstrap.LoadClientCert's "is --kubeconfig still valid" first,
 * then certificate.NewFileStore's order for the certificate to start from (the current pair in
 * --cert-dir, else the kubeconfig's own). Throws, saying why, when the bootstrap kubeconfig is
 * needed and cannot be read.
 */
export function planNodeCredentials(o: Options, store: CertificateStore, now: number, log: Logger): CredentialsPlan {
  if (!o.bootstrapKubeconfig && !o.rotateCertificates) return { kind: 'kubeconfig', why: 'no bootstrap, no rotation' };
  const stored = usable(store, now, log);
  if (o.bootstrapKubeconfig) {
    const check = checkClientConfig(o.kubeconfig!, now);
    if (!check.valid) {
      try {
        return { kind: 'bootstrap', bootstrap: loadKubeconfig(o.bootstrapKubeconfig), reason: check.reason, initial: stored };
      } catch (err) {
        throw new Error(`unable to load bootstrap kubeconfig ${o.bootstrapKubeconfig}: ${(err as Error).message}`);
      }
    }
    if (!o.rotateCertificates) return { kind: 'kubeconfig', why: 'kubeconfig exists and is valid, skipping bootstrap' };
  }
  if (stored) return { kind: 'rotate', initial: stored, forceRotation: false };
  const kc = loadKubeconfig(o.kubeconfig!);
  const own = kubeconfigCertificate(kc);
  if (!own) return { kind: 'kubeconfig', why: 'rotateCertificates: the kubeconfig authenticates without a client certificate; there is nothing to rotate' };
  // kubeadm on a control-plane node hands over a certificate inline "to be rotated out immediately".
  return { kind: 'rotate', initial: own, forceRotation: !!kc.getCurrentUser()?.certData };
}

/**
 * The node's client (built from `clientOptions`, whose kubeconfig is --kubeconfig), its
 * certificate manager started when one is needed. Throws, saying why, when neither the
 * kubeconfig nor the bootstrap kubeconfig can be used.
 */
export async function createNodeCredentials(o: Options, host: { nodeName: string; logger: Logger }, clientOptions: KubeClientOptions): Promise<NodeCredentials> {
  const log = host.logger;
  const store = new CertificateStore(certDirOf(o));
  const plan = planNodeCredentials(o, store, Date.now(), log);
  if (plan.kind === 'kubeconfig') {
    if (o.bootstrapKubeconfig || o.rotateCertificates) log.info({ kubeconfig: o.kubeconfig }, plan.why);
    return { client: await createKubeClient(clientOptions), stop: async () => {} };
  }
  const bootstrap = plan.kind === 'bootstrap' ? plan.bootstrap : undefined;
  const initial = plan.initial;
  if (plan.kind === 'bootstrap') {
    log.info({ reason: plan.reason, bootstrapKubeconfig: o.bootstrapKubeconfig, certDir: store.dir }, initial
      ? 'using the valid client certificate in --cert-dir and writing the kubeconfig for it'
      : 'using the bootstrap kubeconfig to get a client certificate and write the kubeconfig');
    if (initial) writeKubeconfigFromBootstrapping(plan.bootstrap, o.kubeconfig!, store.currentPath);
  }

  const client = await createKubeClient({
    ...clientOptions,
    // Server and CA from the kubeconfig (the bootstrap one until --kubeconfig is written); the
    // certificate from the manager (restclient.AnonymousClientConfig plus its current pair).
    kubeconfig: bootstrap && !initial ? o.bootstrapKubeconfig! : clientOptions.kubeconfig,
    clientCertificate: initial ? { cert: initial.certPem, key: initial.keyPem } : 'pending',
  });
  // The bootstrap credentials stay at hand while rotation is on: a certificate that expired
  // unrenewed is asked for again with them (the kubelet's certConfig).
  const bootstrapClient = bootstrap && (!initial || o.rotateCertificates) ? await createKubeClient({ ...clientOptions, kubeconfig: o.bootstrapKubeconfig!, clientCertificate: undefined }) : undefined;
  const manager = new CertificateManager({
    nodeName: host.nodeName,
    store,
    initial,
    forceRotation: plan.kind === 'rotate' && plan.forceRotation,
    rotate: o.rotateCertificates,
    logger: log.child({ component: 'certificate-manager' }),
    csrClient: (current) => (current || !bootstrapClient ? client : bootstrapClient).certificateSigningRequests,
    onCertificate: (pair, bootstrapped) => {
      client.setClientCertificate({ cert: pair.certPem, key: pair.keyPem });
      if (bootstrapped && bootstrap) {
        writeKubeconfigFromBootstrapping(bootstrap, o.kubeconfig!, store.currentPath);
        log.info({ kubeconfig: o.kubeconfig, certificate: store.currentPath }, 'wrote the kubeconfig for the new client certificate');
      }
      if (!o.rotateCertificates) bootstrapClient?.close();
    },
  });
  manager.start();
  return {
    client,
    stop: async () => {
      await manager.stop();
      bootstrapClient?.close();
    },
  };
}

/** The store's current pair when it is there and unexpired; a broken one is logged and passed over. */
function usable(store: CertificateStore, now: number, log: Logger): CertKeyPair | undefined {
  try {
    const pair = store.current();
    return pair && !isExpired(pair, now) ? pair : undefined;
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'the stored client certificate cannot be used');
    return undefined;
  }
}
