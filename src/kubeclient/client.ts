// Builds the KubeClient from a kubeconfig: client-node's typed APIs over one keep-alive TLS agent, with a request deadline and the QPS limit.
//
// client-node's own KubeConfig.makeApiClient builds a new https.Agent (and re-reads the cert
// files) for every request, so every call would pay a TLS handshake. The kubelet keeps its
// connections open; so do we: the credentials are read once into one agent (credentials.ts),
// which a new client certificate replaces while the agent runs (client certificate rotation).
import {
  AuthenticationV1Api, AuthorizationV1Api, CertificatesV1Api, CoordinationV1Api, CoreV1Api, createConfiguration, KubeConfig, PatchStrategy, ServerConfiguration,
  setHeaderOptions, type Configuration, type Middleware, type V1CertificateSigningRequest,
  type V1ConfigMap, type V1Node, type V1Pod, type V1Secret, type V1Service,
} from '@kubernetes/client-node';
import type https from 'node:https';
import { ClientCredentials, type ClientCertificate, type ServerMaterial } from './credentials.js';
import { toKubeApiError } from './errors.js';
import { TokenBucket } from './rate-limit.js';
import type { KubeClient } from './types.js';
import { watchPath } from './watch.js';

export interface KubeClientOptions {
  /** --kubeconfig: the node's credentials. */
  kubeconfig: string;
  /** --kube-api-qps (kubelet default 50); <= 0: no limit. */
  qps: number;
  /** --kube-api-burst (kubelet default 100). */
  burst: number;
  /** Deadline of one request (watches excepted). */
  requestTimeoutMs?: number;
  /**
   * Deadline of a Node or Lease write (kubelet: the heartbeat client's timeout, the smaller of
   * --node-status-update-frequency and the lease duration); default requestTimeoutMs.
   */
  heartbeatTimeoutMs?: number;
  /** --event-qps / --event-burst: events have their own client and limit, as the kubelet's (0: client-go's 5 and 10). */
  eventQps?: number;
  eventBurst?: number;
  /**
   * The client certificate to use instead of the kubeconfig's user (whose credentials, a token
   * included, are then dropped, as restclient.AnonymousClientConfig), or 'pending' when the TLS
   * bootstrap has not got one yet. Either way setClientCertificate replaces it later.
   */
  clientCertificate?: ClientCertificate | 'pending';
}

/** A KubeClient whose client certificate can be replaced while it runs (certificate rotation). */
export interface RotatingKubeClient extends KubeClient {
  setClientCertificate(certificate: ClientCertificate): void;
}

/** The current context's cluster with no user: what restclient.AnonymousClientConfig keeps. */
function anonymous(kc: KubeConfig): KubeConfig {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('the kubeconfig names no current cluster');
  const anon = new KubeConfig();
  anon.loadFromOptions({
    clusters: [cluster],
    users: [{ name: 'anonymous' }],
    contexts: [{ name: 'anonymous', cluster: cluster.name, user: 'anonymous' }],
    currentContext: 'anonymous',
  });
  return anon;
}

/** Reads the CA, the client certificate and key (files or inline data) and a token, once. */
async function loadServerMaterial(kc: KubeConfig): Promise<{ material: ServerMaterial; userCert?: ClientCertificate }> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('the kubeconfig names no current cluster');
  const opts: https.RequestOptions = {};
  await kc.applyToHTTPSOptions(opts);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts.headers ?? {})) if (v !== undefined) headers[k] = String(v);
  const material: ServerMaterial = {
    server: cluster.server,
    ca: opts.ca as Buffer | undefined,
    skipTLSVerify: cluster.skipTLSVerify,
    servername: cluster.tlsServerName,
    headers,
  };
  const userCert = opts.cert && opts.key ? { cert: opts.cert as Buffer, key: opts.key as Buffer } : undefined;
  return { material, userCert };
}

function configuration(creds: ClientCredentials, limiter: TokenBucket | undefined, timeoutMs: number): Configuration {
  // The agent is picked after the limiter's wait, so a request queued across a certificate
  // change goes out with the new certificate.
  const auth = { getName: () => 'mini-kubelet', applySecurityAuthentication: () => {} };
  const middleware: Middleware = {
    pre: async (ctx) => {
      if (limiter) await limiter.take();
      const c = await creds.ready(timeoutMs);
      ctx.setAgent(c.agent);
      for (const [k, v] of Object.entries(c.headers)) ctx.setHeaderParam(k, v);
      ctx.setSignal(AbortSignal.timeout(timeoutMs));
      return ctx;
    },
    post: async (res) => res,
  };
  return createConfiguration({
    baseServer: new ServerConfiguration(creds.server, {}),
    authMethods: { default: auth },
    promiseMiddleware: [middleware],
  });
}

/** Runs a client-node call and turns its failure into a KubeApiError. */
async function call<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toKubeApiError(err);
  }
}

const strategic = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);

export async function createKubeClient(o: KubeClientOptions): Promise<RotatingKubeClient> {
  const kc = new KubeConfig();
  kc.loadFromFile(o.kubeconfig);
  const timeoutMs = o.requestTimeoutMs ?? 30_000;
  const { material, userCert } = await loadServerMaterial(o.clientCertificate ? anonymous(kc) : kc);
  // A retired agent is closed after one request deadline: what was in flight on it has ended by then.
  const creds = new ClientCredentials(material, o.clientCertificate ?? userCert, timeoutMs);
  const limited = configuration(creds, o.qps > 0 ? new TokenBucket(o.qps, o.burst) : undefined, timeoutMs);
  // kubelet: the heartbeat client (Node status, Lease) has no QPS limit, so a busy agent never
  // delays the writes that keep its node Ready.
  const heartbeat = configuration(creds, undefined, o.heartbeatTimeoutMs ?? timeoutMs);
  const eventQps = o.eventQps ?? 50;
  const eventsApi = new CoreV1Api(configuration(creds, new TokenBucket(eventQps || 5, (o.eventBurst ?? 100) || 10), timeoutMs));
  const core = new CoreV1Api(limited);
  const coreHeartbeat = new CoreV1Api(heartbeat);
  const coordination = new CoordinationV1Api(heartbeat);
  const certificates = new CertificatesV1Api(limited);
  // The node API's reviews: each is asked once per cache miss (authn 2m, authz 5m/30s), like any other call.
  const authentication = new AuthenticationV1Api(limited);
  const authorization = new AuthorizationV1Api(limited);
  const watch = <T>(prefix: string, resource: string, model: string) => watchPath<T>(creds.watchConfig(timeoutMs), prefix, resource, model);

  return {
    server: creds.server,
    pods: {
      list: (q) => call(async () => {
        const l = await core.listPodForAllNamespaces({ fieldSelector: q.fieldSelector, labelSelector: q.labelSelector });
        return { items: l.items, resourceVersion: l.metadata?.resourceVersion ?? '' };
      }),
      get: (namespace, name) => call(() => core.readNamespacedPod({ namespace, name })),
      create: (pod) => call(() => core.createNamespacedPod({ namespace: pod.metadata?.namespace ?? 'default', body: pod })),
      patchStatus: (namespace, name, body) => call(() => core.patchNamespacedPodStatus({ namespace, name, body }, strategic)),
      delete: (namespace, name, d) => call(async () => {
        await core.deleteNamespacedPod({
          namespace, name, gracePeriodSeconds: d?.gracePeriodSeconds,
          body: { gracePeriodSeconds: d?.gracePeriodSeconds, ...(d?.uid ? { preconditions: { uid: d.uid } } : {}) },
        });
      }),
      watch: watch<V1Pod>('/api/v1', 'pods', 'V1Pod'),
    },
    nodes: {
      get: (name) => call(() => coreHeartbeat.readNode({ name })),
      create: (body) => call(() => coreHeartbeat.createNode({ body })),
      patch: (name, body) => call(() => coreHeartbeat.patchNode({ name, body }, strategic)),
      patchStatus: (name, body) => call(() => coreHeartbeat.patchNodeStatus({ name, body }, strategic)),
      watch: watch<V1Node>('/api/v1', 'nodes', 'V1Node'),
    },
    leases: {
      get: (namespace, name) => call(() => coordination.readNamespacedLease({ namespace, name })),
      create: (body) => call(() => coordination.createNamespacedLease({ namespace: body.metadata?.namespace ?? 'kube-node-lease', body })),
      update: (body) => call(() => coordination.replaceNamespacedLease({ namespace: body.metadata!.namespace!, name: body.metadata!.name!, body })),
    },
    events: {
      create: (body) => call(() => eventsApi.createNamespacedEvent({ namespace: body.metadata?.namespace ?? 'default', body })),
      patch: (namespace, name, body) => call(() => eventsApi.patchNamespacedEvent({ namespace, name, body }, strategic)),
    },
    serviceAccounts: {
      createToken: (namespace, name, body) => call(() => core.createNamespacedServiceAccountToken({ namespace, name, body })),
    },
    configMaps: {
      get: (namespace, name) => call(() => core.readNamespacedConfigMap({ namespace, name })),
      list: (namespace, q) => call(async () => {
        const l = await core.listNamespacedConfigMap({ namespace, fieldSelector: q.fieldSelector });
        return { items: l.items, resourceVersion: l.metadata?.resourceVersion ?? '' };
      }),
      watch: watch<V1ConfigMap>('/api/v1', 'configmaps', 'V1ConfigMap'),
    },
    secrets: {
      get: (namespace, name) => call(() => core.readNamespacedSecret({ namespace, name })),
      list: (namespace, q) => call(async () => {
        const l = await core.listNamespacedSecret({ namespace, fieldSelector: q.fieldSelector });
        return { items: l.items, resourceVersion: l.metadata?.resourceVersion ?? '' };
      }),
      watch: watch<V1Secret>('/api/v1', 'secrets', 'V1Secret'),
    },
    services: {
      list: (namespace) => call(async () => {
        const l = namespace ? await core.listNamespacedService({ namespace }) : await core.listServiceForAllNamespaces();
        return { items: l.items, resourceVersion: l.metadata?.resourceVersion ?? '' };
      }),
      watch: watch<V1Service>('/api/v1', 'services', 'V1Service'),
    },
    certificateSigningRequests: {
      create: (body) => call(() => certificates.createCertificateSigningRequest({ body })),
      get: (name) => call(() => certificates.readCertificateSigningRequest({ name })),
      watch: watch<V1CertificateSigningRequest>('/apis/certificates.k8s.io/v1', 'certificatesigningrequests', 'V1CertificateSigningRequest'),
    },
    tokenReviews: {
      create: (body) => call(() => authentication.createTokenReview({ body })),
    },
    subjectAccessReviews: {
      create: (body) => call(() => authorization.createSubjectAccessReview({ body })),
    },
    setClientCertificate: (certificate) => creds.setClientCertificate(certificate),
    close: () => creds.close(),
  };
}
