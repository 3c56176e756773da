// TypeScript shapes of the CRI v1 messages that mini-kubelet uses, as @grpc/proto-loader decodes them.
//
// proto-loader is configured with camelCase field names, enums as strings, int64 as JS numbers
// (nanosecond timestamps lose a few hundred ns of precision, which no rule here depends on) and
// default values filled in. Only the fields the project reads or writes are typed; the proto in
// proto/api.proto is the complete truth.

export type StringMap = Record<string, string>;

export interface VersionResponse {
  version: string;
  runtimeName: string;
  runtimeVersion: string;
  runtimeApiVersion: string;
}

export interface RuntimeCondition {
  type: string;
  status: boolean;
  reason: string;
  message: string;
}
export interface RuntimeStatusResponse {
  status?: { conditions: RuntimeCondition[] };
  info: StringMap;
}

export interface DNSConfig {
  servers?: string[];
  searches?: string[];
  options?: string[];
}

export type Protocol = 'TCP' | 'UDP' | 'SCTP';
export interface PortMapping {
  protocol?: Protocol;
  containerPort?: number;
  hostPort?: number;
  hostIp?: string;
}

export type MountPropagation =
  | 'PROPAGATION_PRIVATE'
  | 'PROPAGATION_HOST_TO_CONTAINER'
  | 'PROPAGATION_BIDIRECTIONAL';
export interface Mount {
  containerPath: string;
  hostPath: string;
  readonly?: boolean;
  selinuxRelabel?: boolean;
  propagation?: MountPropagation;
}

export type NamespaceMode = 'POD' | 'CONTAINER' | 'NODE' | 'TARGET';
export interface NamespaceOption {
  network?: NamespaceMode;
  pid?: NamespaceMode;
  ipc?: NamespaceMode;
  targetId?: string;
}

export interface Int64Value {
  value: number;
}

export interface SecurityProfile {
  profileType?: 'RuntimeDefault' | 'Unconfined' | 'Localhost';
  localhostRef?: string;
}

export interface LinuxSandboxSecurityContext {
  namespaceOptions?: NamespaceOption;
  runAsUser?: Int64Value;
  runAsGroup?: Int64Value;
  readonlyRootfs?: boolean;
  supplementalGroups?: number[];
  privileged?: boolean;
  seccomp?: SecurityProfile;
}

export interface LinuxContainerResources {
  cpuPeriod?: number;
  cpuQuota?: number;
  cpuShares?: number;
  memoryLimitInBytes?: number;
  oomScoreAdj?: number;
  cpusetCpus?: string;
  cpusetMems?: string;
  unified?: StringMap;
  memorySwapLimitInBytes?: number;
}

export interface LinuxPodSandboxConfig {
  cgroupParent?: string;
  securityContext?: LinuxSandboxSecurityContext;
  sysctls?: StringMap;
  overhead?: LinuxContainerResources;
  resources?: LinuxContainerResources;
}

export interface PodSandboxMetadata {
  name: string;
  uid: string;
  namespace: string;
  attempt: number;
}

export interface PodSandboxConfig {
  metadata: PodSandboxMetadata;
  hostname?: string;
  logDirectory?: string;
  dnsConfig?: DNSConfig;
  portMappings?: PortMapping[];
  labels?: StringMap;
  annotations?: StringMap;
  linux?: LinuxPodSandboxConfig;
}

export type PodSandboxState = 'SANDBOX_READY' | 'SANDBOX_NOTREADY';

export interface PodSandbox {
  id: string;
  metadata: PodSandboxMetadata;
  state: PodSandboxState;
  createdAt: number; // unix nanoseconds
  labels: StringMap;
  annotations: StringMap;
  runtimeHandler: string;
}

export interface PodSandboxStatus {
  id: string;
  metadata: PodSandboxMetadata;
  state: PodSandboxState;
  createdAt: number; // unix nanoseconds
  network?: { ip: string; additionalIps: { ip: string }[] };
  linux?: { namespaces?: { options?: NamespaceOption } };
  labels: StringMap;
  annotations: StringMap;
  runtimeHandler: string;
}

export interface PodSandboxFilter {
  id?: string;
  state?: { state: PodSandboxState };
  labelSelector?: StringMap;
}

export interface ImageSpec {
  image: string;
  annotations?: StringMap;
}

export interface KeyValue {
  key: string;
  value: string;
}

export interface Capability {
  addCapabilities?: string[];
  dropCapabilities?: string[];
}

export interface LinuxContainerSecurityContext {
  capabilities?: Capability;
  privileged?: boolean;
  namespaceOptions?: NamespaceOption;
  runAsUser?: Int64Value;
  runAsUsername?: string;
  runAsGroup?: Int64Value;
  readonlyRootfs?: boolean;
  supplementalGroups?: number[];
  noNewPrivs?: boolean;
  maskedPaths?: string[];
  readonlyPaths?: string[];
  seccomp?: SecurityProfile;
  apparmor?: SecurityProfile;
}

export interface ContainerMetadata {
  name: string;
  attempt: number;
}

export interface Device {
  containerPath: string;
  hostPath: string;
  permissions: string;
}

export interface ContainerConfig {
  metadata: ContainerMetadata;
  image: ImageSpec;
  command?: string[];
  args?: string[];
  workingDir?: string;
  envs?: KeyValue[];
  mounts?: Mount[];
  devices?: Device[];
  labels?: StringMap;
  annotations?: StringMap;
  logPath?: string;
  stdin?: boolean;
  stdinOnce?: boolean;
  tty?: boolean;
  linux?: {
    resources?: LinuxContainerResources;
    securityContext?: LinuxContainerSecurityContext;
  };
}

export type ContainerState =
  | 'CONTAINER_CREATED'
  | 'CONTAINER_RUNNING'
  | 'CONTAINER_EXITED'
  | 'CONTAINER_UNKNOWN';

export interface Container {
  id: string;
  podSandboxId: string;
  metadata: ContainerMetadata;
  image: ImageSpec;
  imageRef: string;
  state: ContainerState;
  createdAt: number; // unix nanoseconds
  labels: StringMap;
  annotations: StringMap;
}

export interface ContainerFilter {
  id?: string;
  state?: { state: ContainerState };
  podSandboxId?: string;
  labelSelector?: StringMap;
}

export interface ContainerStatus {
  id: string;
  metadata: ContainerMetadata;
  state: ContainerState;
  createdAt: number; // unix nanoseconds
  startedAt: number; // unix nanoseconds, 0 when never started
  finishedAt: number; // unix nanoseconds, 0 while not finished
  exitCode: number;
  image: ImageSpec;
  imageRef: string;
  reason: string;
  message: string;
  labels: StringMap;
  annotations: StringMap;
  mounts: Mount[];
  logPath: string;
}

export interface ExecSyncResult {
  stdout: Buffer;
  stderr: Buffer;
  exitCode: number;
}

export interface Image {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  size: number;
  uid?: Int64Value;
  username: string;
  spec?: ImageSpec;
  pinned: boolean;
}

export interface AuthConfig {
  username?: string;
  password?: string;
  auth?: string;
  serverAddress?: string;
  identityToken?: string;
  registryToken?: string;
}

/** A wrapped uint64 (UInt64Value): absent means "not measured", unlike a plain 0. */
export interface UInt64Value {
  value: number;
}

export interface ContainerStats {
  attributes?: { id: string; metadata: ContainerMetadata; labels: StringMap; annotations: StringMap };
  cpu?: { timestamp: number; usageCoreNanoSeconds?: UInt64Value; usageNanoCores?: UInt64Value };
  memory?: {
    timestamp: number;
    workingSetBytes?: UInt64Value;
    /** containerd 1.6 sends 0 when the container has no memory limit. */
    availableBytes?: UInt64Value;
    usageBytes?: UInt64Value;
    rssBytes?: UInt64Value;
    pageFaults?: UInt64Value;
    majorPageFaults?: UInt64Value;
  };
  /** The container's writable layer on the snapshotter's filesystem (fsId.mountpoint). */
  writableLayer?: Partial<FilesystemUsage>;
}

export interface FilesystemUsage {
  timestamp: number;
  fsId?: { mountpoint: string };
  usedBytes?: { value: number };
  inodesUsed?: { value: number };
}

/** Per-call options. timeoutMs overrides the client's default deadline (--runtime-request-timeout). */
export interface CallOptions {
  timeoutMs?: number;
  /** Cancels the call (gRPC CANCELLED), as the kubelet's cancelled context does. */
  signal?: AbortSignal;
}

/** The CRI RuntimeService, one method per RPC. The client knows nothing of Pods. */
export interface RuntimeService {
  version(opts?: CallOptions): Promise<VersionResponse>;
  status(opts?: CallOptions): Promise<RuntimeStatusResponse>;
  runPodSandbox(config: PodSandboxConfig, runtimeHandler?: string, opts?: CallOptions): Promise<string>;
  stopPodSandbox(podSandboxId: string, opts?: CallOptions): Promise<void>;
  removePodSandbox(podSandboxId: string, opts?: CallOptions): Promise<void>;
  podSandboxStatus(podSandboxId: string, opts?: CallOptions): Promise<PodSandboxStatus>;
  listPodSandbox(filter?: PodSandboxFilter, opts?: CallOptions): Promise<PodSandbox[]>;
  createContainer(
    podSandboxId: string,
    config: ContainerConfig,
    sandboxConfig: PodSandboxConfig,
    opts?: CallOptions,
  ): Promise<string>;
  startContainer(containerId: string, opts?: CallOptions): Promise<void>;
  /** timeoutSeconds is the grace period; the call's deadline is extended by it, as in the kubelet. */
  stopContainer(containerId: string, timeoutSeconds: number, opts?: CallOptions): Promise<void>;
  removeContainer(containerId: string, opts?: CallOptions): Promise<void>;
  listContainers(filter?: ContainerFilter, opts?: CallOptions): Promise<Container[]>;
  containerStatus(containerId: string, opts?: CallOptions): Promise<ContainerStatus>;
  updateContainerResources(containerId: string, linux: LinuxContainerResources, opts?: CallOptions): Promise<void>;
  reopenContainerLog(containerId: string, opts?: CallOptions): Promise<void>;
  /** timeoutSeconds 0 means no timeout inside the runtime; the call deadline is extended by it. */
  execSync(containerId: string, cmd: string[], timeoutSeconds: number, opts?: CallOptions): Promise<ExecSyncResult>;
  exec(
    req: { containerId: string; cmd: string[]; tty?: boolean; stdin?: boolean; stdout?: boolean; stderr?: boolean },
    opts?: CallOptions,
  ): Promise<string>;
  attach(
    req: { containerId: string; tty?: boolean; stdin?: boolean; stdout?: boolean; stderr?: boolean },
    opts?: CallOptions,
  ): Promise<string>;
  portForward(req: { podSandboxId: string; port: number[] }, opts?: CallOptions): Promise<string>;
  containerStats(containerId: string, opts?: CallOptions): Promise<ContainerStats | undefined>;
  listContainerStats(
    filter?: { id?: string; podSandboxId?: string; labelSelector?: StringMap },
    opts?: CallOptions,
  ): Promise<ContainerStats[]>;
}

/** The CRI ImageService, one method per RPC. */
export interface ImageService {
  /** Resolves to undefined when the image is not present (the CRI answers with an empty image). */
  imageStatus(image: ImageSpec, opts?: CallOptions): Promise<Image | undefined>;
  /** Resolves to the image reference (digest-pinned id) of the pulled image. */
  pullImage(image: ImageSpec, auth?: AuthConfig, sandboxConfig?: PodSandboxConfig, opts?: CallOptions): Promise<string>;
  listImages(filter?: { image?: ImageSpec }, opts?: CallOptions): Promise<Image[]>;
  removeImage(image: ImageSpec, opts?: CallOptions): Promise<void>;
  imageFsInfo(opts?: CallOptions): Promise<FilesystemUsage[]>;
}

/** Both services together: what the rest of mini-kubelet is handed. */
export interface CriRuntime extends RuntimeService, ImageService {}
