// Starts the node API for the run command: authentication and authorization from the flags, the TLS material in --cert-dir, then the HTTPS server.
import path from 'node:path';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { KubeClient } from '../kubeclient/types.js';
import { registerHttpMetrics } from '../metrics/http.js';
import { readMachineInfo } from '../node/allocatable.js';
import type { ObservedPod } from '../runtime/types.js';
import type { EndpointSources } from '../server/endpoints.js';
import { NodeApiAuthenticator } from '../server/node-api/authn.js';
import { alwaysAllow, WebhookAuthorizer } from '../server/node-api/authz.js';
import { machineSpec, runningPods } from '../server/node-api/info.js';
import { startNodeApiServer, type NodeApiServer } from '../server/node-api/server.js';
import type { StreamingDeps } from '../server/node-api/streaming.js';
import { loadServingTLS } from '../server/node-api/tls.js';
import { kubeletConfigz } from './configz.js';
import type { NodeApiAuth } from './flags-node-api.js';
import type { RunOptions } from './flags.js';

/** What the node API needs from the running agent. */
export interface NodeApiHost {
  nodeName: string;
  hostIP: string;
  logger: Logger;
  auth: NodeApiAuth;
  /** The cluster's client (webhook authentication and authorization), when --kubeconfig is given. */
  kube?: KubeClient;
  endpoints: EndpointSources;
  streaming: StreamingDeps;
  observedPods(): ObservedPod[];
  metrics: Registry;
}

/** --cert-dir, or <root-dir>/pki (the kubelet's default is /var/lib/kubelet/pki, its root dir's pki). */
export function certDirOf(o: Pick<RunOptions, 'certDir' | 'rootDir'>): string {
  return o.certDir ?? path.join(o.rootDir, 'pki');
}

const isLoopback = (ip: string) => ip === '::1' || ip === 'localhost' || ip.startsWith('127.');

/**
 * Our --address defaults to loopback (the kubelet's to 0.0.0.0), but the API server dials the
 * Node's InternalIP: said at start, or kubectl logs/exec/port-forward are refused without a word.
 */
export function unreachableWarning(address: string, nodeIP: string): string | undefined {
  if (!isLoopback(address) || isLoopback(nodeIP)) return undefined;
  return `the node API listens on ${address} but the Node's InternalIP is ${nodeIP}: the API server cannot reach it (kubectl logs, exec, port-forward); give --address 0.0.0.0 (or the node IP), or --node-ip 127.0.0.1 for a control plane on this machine`;
}

/** The running node API, or undefined (after saying why on stderr) when it cannot start. */
export async function startNodeApi(o: RunOptions, host: NodeApiHost): Promise<NodeApiServer | undefined> {
  const { logger, auth } = host;
  for (const w of auth.warnings) logger.warn({}, w);
  const unreachable = host.kube ? unreachableWarning(o.address, host.hostIP) : undefined;
  if (unreachable) logger.warn({ address: o.address, nodeIP: host.hostIP, port: o.port }, unreachable);
  try {
    const tls = await loadServingTLS({
      certDir: certDirOf(o),
      tlsCertFile: o.tlsCertFile,
      tlsPrivateKeyFile: o.tlsPrivateKeyFile,
      clientCAFile: o.clientCaFile,
      hostName: host.nodeName,
      ips: [...new Set([host.hostIP, '127.0.0.1'])],
    });
    const authenticator = new NodeApiAuthenticator({
      localCA: tls.localCA,
      tokenReviews: auth.tokenWebhook ? host.kube?.tokenReviews : undefined,
      tokenCacheTtlMs: o.authenticationTokenWebhookCacheTtl,
      anonymous: auth.anonymous,
    });
    const authorizer = auth.mode === 'Webhook' && host.kube
      ? new WebhookAuthorizer({ reviews: host.kube.subjectAccessReviews, allowTtlMs: o.authorizationWebhookCacheAuthorizedTtl, denyTtlMs: o.authorizationWebhookCacheUnauthorizedTtl })
      : alwaysAllow;
    const server = await startNodeApiServer({
      ...host.endpoints,
      address: o.address,
      port: o.port,
      tls,
      nodeName: host.nodeName,
      authenticator,
      authorizer,
      streaming: host.streaming,
      runningPods: () => runningPods(host.observedPods()),
      machineSpec: () => machineSpec(readMachineInfo(o.rootDir)),
      configz: () => kubeletConfigz(o as unknown as Record<string, unknown>),
      requestObserver: registerHttpMetrics(host.metrics, 'readwrite'),
    });
    logger.info({ port: server.port, anonymous: auth.anonymous, tokenWebhook: auth.tokenWebhook, authorizationMode: auth.mode, certDir: certDirOf(o) }, 'node API ready');
    return server;
  } catch (err) {
    process.stderr.write(`mini-kubelet: cannot serve the node API on ${o.address}:${o.port}: ${(err as Error).message}\n`);
    return undefined;
  }
}
