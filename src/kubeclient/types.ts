// The small API-server interfaces the agent's cluster parts use (one per resource), so unit tests can swap in an in-memory fake.
//
// The kubelet talks to the API server through client-go's clientset; we keep our own narrow
// interfaces instead, with only the verbs a node agent needs. Every part of cluster mode (the pod
// source, the status sink, Node and Lease, events, volumes) gets them from one KubeClient, so the
// node's credentials, the QPS limit and the request deadline live in one place (client.ts).
import type {
  AuthenticationV1TokenRequest, CoreV1Event, V1CertificateSigningRequest, V1ConfigMap, V1Lease, V1Node, V1Pod,
  V1Secret, V1Service, V1SubjectAccessReview, V1TokenReview,
} from '@kubernetes/client-node';

/** A list and the resourceVersion to start a watch from. */
export interface ListResult<T> {
  items: T[];
  resourceVersion: string;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

/** For ERROR events the object is a metav1.Status (e.g. code 410 when the resourceVersion is too old). */
export interface WatchEvent<T> {
  type: WatchEventType;
  object: T;
}

export interface WatchOptions {
  /** Watch one namespace only (a node may watch a single ConfigMap or Secret only inside its namespace). */
  namespace?: string;
  fieldSelector?: string;
  labelSelector?: string;
  resourceVersion?: string;
  /** Ask the server to end the watch after this long (client-go's reflector: a random 5–10 min). */
  timeoutSeconds?: number;
}

/** A running watch. `onClose` is called once, with the error if it did not end cleanly. */
export interface WatchHandle {
  stop(): void;
}

export interface Watchable<T> {
  watch(opts: WatchOptions, onEvent: (e: WatchEvent<T>) => void, onClose: (err?: Error) => void): WatchHandle;
}

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  /** Precondition: delete only the object with this UID (a recreated pod of the same name is spared). */
  uid?: string;
}

/** Pods: the node's own (list/watch by spec.nodeName), their status, and mirror pods. */
export interface PodsClient extends Watchable<V1Pod> {
  /** All namespaces; the Node authorizer allows a node to list only `spec.nodeName=<itself>`. */
  list(opts: { fieldSelector?: string; labelSelector?: string }): Promise<ListResult<V1Pod>>;
  get(namespace: string, name: string): Promise<V1Pod>;
  create(pod: V1Pod): Promise<V1Pod>;
  /** A strategic-merge patch of pods/status (kubelet: statusutil.PatchPodStatus). */
  patchStatus(namespace: string, name: string, patch: object): Promise<V1Pod>;
  delete(namespace: string, name: string, opts?: DeleteOptions): Promise<void>;
}

export interface NodesClient extends Watchable<V1Node> {
  get(name: string): Promise<V1Node>;
  create(node: V1Node): Promise<V1Node>;
  /** A strategic-merge patch of the Node (labels, annotations, spec). */
  patch(name: string, patch: object): Promise<V1Node>;
  /** A strategic-merge patch of nodes/status (kubelet: nodeutil.PatchNodeStatus). */
  patchStatus(name: string, patch: object): Promise<V1Node>;
}

/** coordination.k8s.io/v1 Leases (the node heartbeat in kube-node-lease). */
export interface LeasesClient {
  get(namespace: string, name: string): Promise<V1Lease>;
  create(lease: V1Lease): Promise<V1Lease>;
  /** A full update with the lease's resourceVersion (optimistic concurrency, as the kubelet's lease controller). */
  update(lease: V1Lease): Promise<V1Lease>;
}

/** core/v1 Events. */
export interface EventsClient {
  create(event: CoreV1Event): Promise<CoreV1Event>;
  /** A strategic-merge patch (count, lastTimestamp, message) of an event already created. */
  patch(namespace: string, name: string, patch: object): Promise<CoreV1Event>;
}

/** serviceaccounts/token: the TokenRequest API. */
export interface ServiceAccountsClient {
  createToken(namespace: string, serviceAccountName: string, request: AuthenticationV1TokenRequest): Promise<AuthenticationV1TokenRequest>;
}

/**
 * One object at a time: the Node authorizer allows a node only the objects its pods reference,
 * by name (a list or watch only with the field selector metadata.name=<name>, in its namespace).
 */
export interface ConfigMapsClient extends Watchable<V1ConfigMap> {
  get(namespace: string, name: string): Promise<V1ConfigMap>;
  list(namespace: string, opts: { fieldSelector: string }): Promise<ListResult<V1ConfigMap>>;
}

export interface SecretsClient extends Watchable<V1Secret> {
  get(namespace: string, name: string): Promise<V1Secret>;
  list(namespace: string, opts: { fieldSelector: string }): Promise<ListResult<V1Secret>>;
}

/** Services of every namespace (the Node authorizer lets a node list and watch them all): the service links of the environment. */
export interface ServicesClient extends Watchable<V1Service> {
  list(namespace?: string): Promise<ListResult<V1Service>>;
}

export interface CertificateSigningRequestsClient extends Watchable<V1CertificateSigningRequest> {
  create(csr: V1CertificateSigningRequest): Promise<V1CertificateSigningRequest>;
  get(name: string): Promise<V1CertificateSigningRequest>;
}

/** authentication.k8s.io/v1 TokenReview: who a bearer token sent to the node API belongs to (kubelet: webhook token authenticator). */
export interface TokenReviewsClient {
  create(review: V1TokenReview): Promise<V1TokenReview>;
}

/** authorization.k8s.io/v1 SubjectAccessReview: may this user do this to the node (kubelet: Webhook authorizer). */
export interface SubjectAccessReviewsClient {
  create(review: V1SubjectAccessReview): Promise<V1SubjectAccessReview>;
}

/** Everything cluster mode asks of the API server, with the node's credentials. */
export interface KubeClient {
  /** The API server's URL, for logs. */
  readonly server: string;
  readonly pods: PodsClient;
  readonly nodes: NodesClient;
  readonly leases: LeasesClient;
  readonly events: EventsClient;
  readonly serviceAccounts: ServiceAccountsClient;
  readonly configMaps: ConfigMapsClient;
  readonly secrets: SecretsClient;
  readonly services: ServicesClient;
  readonly certificateSigningRequests: CertificateSigningRequestsClient;
  readonly tokenReviews: TokenReviewsClient;
  readonly subjectAccessReviews: SubjectAccessReviewsClient;
  /** Closes idle connections; running watches are stopped by their owners. */
  close(): void;
}
