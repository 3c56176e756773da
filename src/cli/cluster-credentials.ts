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

export interface NodeCredentials {
  client: RotatingKubeClient;
  stop(): Promise<void>;
}

type Options = Pick<RunOptions, 'kubeconfig' | 'bootstrapKubeconfig' | 'certDir' | 'rotateCertificates'>;

/**
 * The node's client (built from `clientOptions`, whose kubeconfig is --kubeconfig), its
 * certificate manager started when one is needed. Throws, saying why, when neither the
 * kubeconfig nor the bootstrap kubeconfig can be used.
 */
export async function createNodeCredentials(o: Options, host: { nodeName: string; logger: Logger }, clientOptions: KubeClientOptions): Promise<NodeCredentials> {
  const log = host.logger;
  const plain = async () => ({ client: await createKubeClient(clientOptions), stop: async () => {} });
  if (!o.bootstrapKubeconfig && !o.rotateCertificates) return plain();
  const store = new CertificateStore(o.certDir!);
  const stored = usable(store, log);
  let bootstrap: KubeConfig | undefined;
  if (o.bootstrapKubeconfig) {
    const check = checkClientConfig(o.kubeconfig!, Date.now());
    if (check.valid) log.info({ kubeconfig: o.kubeconfig }, 'kubeconfig exists and is valid, skipping bootstrap');
    else {
      try {
        bootstrap = loadKubeconfig(o.bootstrapKubeconfig);
      } catch (err) {
        throw new Error(`unable to load bootstrap kubeconfig ${o.bootstrapKubeconfig}: ${(err as Error).message}`);
      }
      log.info({ reason: check.reason, bootstrapKubeconfig: o.bootstrapKubeconfig, certDir: store.dir }, 'using the bootstrap kubeconfig to get a client certificate and write the kubeconfig');
    }
  }

  if (!bootstrap && !o.rotateCertificates) return plain();

  // What the certificate manager starts from (certificate.NewFileStore's order): the current
  // pair in --cert-dir, else the kubeconfig's own certificate.
  let initial = stored;
  let forceRotation = false;
  if (!initial && !bootstrap) {
    const kc = loadKubeconfig(o.kubeconfig!);
    initial = kubeconfigCertificate(kc);
    // kubeadm on a control-plane node hands over a certificate inline "to be rotated out immediately".
    forceRotation = !!kc.getCurrentUser()?.certData;
    if (!initial) {
      log.warn({ kubeconfig: o.kubeconfig }, 'rotateCertificates: the kubeconfig authenticates without a client certificate; there is nothing to rotate');
      return plain();
    }
  }
  if (bootstrap && initial) writeKubeconfigFromBootstrapping(bootstrap, o.kubeconfig!, store.currentPath);

  const client = await createKubeClient({
    ...clientOptions,
    // Server and CA from the kubeconfig (the bootstrap one until --kubeconfig is written); the
    // certificate from the manager (restclient.AnonymousClientConfig plus its current pair).
    kubeconfig: bootstrap && !initial ? o.bootstrapKubeconfig! : clientOptions.kubeconfig,
    clientCertificate: initial ? { cert: initial.certPem, key: initial.keyPem } : 'pending',
  });
  // The bootstrap credentials stay at hand while rotation is on: a certificate that expired
  // unrenewed is asked for again with them (the kubelet's certConfig).
  const bootstrapClient = bootstrap ? await createKubeClient({ ...clientOptions, kubeconfig: o.bootstrapKubeconfig!, clientCertificate: undefined }) : undefined;
  const manager = new CertificateManager({
    nodeName: host.nodeName,
    store,
    initial,
    forceRotation,
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
function usable(store: CertificateStore, log: Logger): CertKeyPair | undefined {
  try {
    const pair = store.current();
    return pair && !isExpired(pair, Date.now()) ? pair : undefined;
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'the stored client certificate cannot be used');
    return undefined;
  }
}
