// An in-process CriRuntime that models sandboxes, containers and images in memory, records calls and fails on demand.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { status as Status } from '@grpc/grpc-js';
import { criError, CriError } from '../../src/cri/errors.js';
import type {
  AuthConfig, CallOptions, Container, ContainerConfig, ContainerFilter, ContainerStats,
  ContainerStatus, CriRuntime, ExecSyncResult, FilesystemUsage, Image, ImageSpec, LinuxContainerResources,
  PodSandbox, PodSandboxConfig, PodSandboxFilter, PodSandboxStatus, RuntimeCondition, RuntimeStatusResponse,
  StringMap, VersionResponse,
} from '../../src/cri/types.js';

type Method = keyof CriRuntime;
const CRI_METHODS: Method[] = [
  'version', 'status', 'runPodSandbox', 'stopPodSandbox', 'removePodSandbox', 'podSandboxStatus', 'listPodSandbox',
  'createContainer', 'startContainer', 'stopContainer', 'removeContainer', 'listContainers', 'containerStatus',
  'updateContainerResources', 'reopenContainerLog', 'execSync', 'exec', 'attach', 'portForward', 'containerStats',
  'listContainerStats', 'imageStatus', 'pullImage', 'listImages', 'removeImage', 'imageFsInfo',
];
export type ExecHandler = (containerId: string, cmd: string[]) => ExecSyncResult | Promise<ExecSyncResult>;

interface FakeSandbox { status: PodSandboxStatus; config: PodSandboxConfig }
interface FakeContainer { status: ContainerStatus; podSandboxId: string; config: ContainerConfig; resources?: LinuxContainerResources }

/** `busybox:1.36` → `docker.io/library/busybox:1.36`, the way containerd names images. */
export function normalizeImageRef(ref: string): string {
  if (ref.startsWith('sha256:')) return ref;
  let name = ref;
  const slash = name.indexOf('/');
  const first = slash < 0 ? '' : name.slice(0, slash);
  if (slash < 0) name = `docker.io/library/${name}`;
  else if (!first.includes('.') && !first.includes(':') && first !== 'localhost') name = `docker.io/${name}`;
  const lastPart = name.slice(name.lastIndexOf('/') + 1);
  return lastPart.includes(':') || lastPart.includes('@') ? name : `${name}:latest`;
}

const matches = (labels: StringMap, selector?: StringMap) => Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);
const notFound = (rpc: string, details: string): never => { throw criError(Status.NOT_FOUND, rpc, details); };
const sandboxKey = (m: PodSandboxConfig['metadata']) => `${m.name}_${m.namespace}_${m.uid}_${m.attempt}`;

/** The CRI semantics mini-kubelet relies on, as containerd 1.6 implements them; nothing more. */
export class FakeCri implements CriRuntime {
  readonly calls: { method: Method; args: unknown[] }[] = [];
  readonly sandboxes = new Map<string, FakeSandbox>();
  readonly containers = new Map<string, FakeContainer>();
  readonly images = new Map<string, Image>(); // by image id
  readonly pullable = new Set<string>(); // normalized refs
  conditions: RuntimeCondition[] = [
    { type: 'RuntimeReady', status: true, reason: '', message: '' },
    { type: 'NetworkReady', status: true, reason: '', message: '' },
  ];
  private readonly failures = new Map<Method, { error: Error; times: number }[]>();
  private execHandler: ExecHandler = (_id, cmd) =>
    ({ stdout: Buffer.from(cmd[0] === 'echo' ? `${cmd.slice(1).join(' ')}\n` : ''), stderr: Buffer.alloc(0), exitCode: 0 });
  private seq = 0;
  private readonly now: () => number;

  /** `now` returns milliseconds; CRI timestamps are derived from it in nanoseconds. */
  constructor(opts: { now?: () => number } = {}) {
    this.now = opts.now ?? Date.now;
    // Every CRI method records its call and honours failNext before doing anything.
    for (const method of CRI_METHODS) {
      const impl = (this[method] as (...a: unknown[]) => Promise<unknown>).bind(this);
      // Writable and configurable so tests may patch a method, and a Proxy may hand out wrapped ones.
      Object.defineProperty(this, method, {
        writable: true,
        configurable: true,
        value: async (...args: unknown[]) => {
          this.enter(method, args);
          return impl(...args);
        },
      });
    }
  }

  // ---- test controls ----

  /** The next `times` calls of `method` reject with `error` (build it with criError from src/cri/errors.ts). */
  failNext(method: Method, error: Error, times = 1): void {
    this.failures.set(method, [...(this.failures.get(method) ?? []), { error, times }]);
  }

  /** The container's process ends by itself, e.g. a crash (exitCode 1, reason "Error") or a clean exit. */
  exitContainer(id: string, exitCode: number, reason = exitCode === 0 ? 'Completed' : 'Error'): void {
    const c = this.containers.get(id);
    if (!c) throw new Error(`fake-cri: no container ${id}`);
    Object.assign(c.status, { state: 'CONTAINER_EXITED', exitCode, reason, finishedAt: this.nowNs() });
  }

  addImage(ref: string): Image {
    const name = normalizeImageRef(ref);
    const id = `sha256:${createHash('sha256').update(name).digest('hex')}`;
    const repoDigests = [`${name.replace(/[:@][^/]*$/, '')}@${id}`];
    if (!this.images.has(id)) this.images.set(id, { id, repoTags: [name], repoDigests, size: 1024, username: '', pinned: false });
    return this.images.get(id)!;
  }

  /** pullImage of `ref` succeeds (and adds the image); unknown refs fail NotFound as a registry miss does. */
  addPullable(ref: string): void {
    this.pullable.add(normalizeImageRef(ref));
  }

  setCondition(type: string, status: boolean, reason = '', message = ''): void {
    this.conditions = this.conditions.filter((c) => c.type !== type).concat({ type, status, reason, message });
  }

  /** What execSync answers; the default echoes `echo` arguments and exits 0. */
  onExec(handler: ExecHandler): void { this.execHandler = handler; }

  // ---- RuntimeService ----

  async version(opts?: CallOptions): Promise<VersionResponse> {
    return { version: '0.1.0', runtimeName: 'fake-cri', runtimeVersion: '0.0.0', runtimeApiVersion: 'v1' };
  }

  async status(opts?: CallOptions): Promise<RuntimeStatusResponse> {
    return { status: { conditions: this.conditions.map((c) => ({ ...c })) }, info: {} };
  }

  async runPodSandbox(config: PodSandboxConfig, runtimeHandler = '', opts?: CallOptions): Promise<string> {
    const key = sandboxKey(config.metadata);
    if ([...this.sandboxes.values()].some((s) => sandboxKey(s.status.metadata) === key)) {
      throw new CriError(Status.UNKNOWN, 'RunPodSandbox', `failed to reserve sandbox name "${key}": name is reserved`);
    }
    const id = this.newId('sandbox');
    const hostNetwork = config.linux?.securityContext?.namespaceOptions?.network === 'NODE';
    const status: PodSandboxStatus = {
      id, metadata: { ...config.metadata }, state: 'SANDBOX_READY', createdAt: this.nowNs(),
      network: { ip: hostNetwork ? '' : `10.88.0.${(this.seq % 250) + 2}`, additionalIps: [] },
      linux: { namespaces: { options: { ...config.linux?.securityContext?.namespaceOptions } } },
      labels: { ...config.labels }, annotations: { ...config.annotations }, runtimeHandler,
    };
    this.sandboxes.set(id, { status, config });
    return id;
  }

  // containerd: stopping a sandbox kills its running containers; created ones stay created.
  async stopPodSandbox(podSandboxId: string, opts?: CallOptions): Promise<void> {
    const s = this.sandbox('StopPodSandbox', podSandboxId);
    for (const c of this.containers.values()) if (c.podSandboxId === podSandboxId && c.status.state === 'CONTAINER_RUNNING') this.exitContainer(c.status.id, 137);
    s.status.state = 'SANDBOX_NOTREADY';
  }

  // containerd: removing an unknown sandbox succeeds; a ready one is stopped first, its containers go with it.
  async removePodSandbox(podSandboxId: string, opts?: CallOptions): Promise<void> {
    for (const c of [...this.containers.values()]) if (c.podSandboxId === podSandboxId) this.containers.delete(c.status.id);
    this.sandboxes.delete(podSandboxId);
  }

  async podSandboxStatus(podSandboxId: string, opts?: CallOptions): Promise<PodSandboxStatus> {
    return structuredClone(this.sandbox('PodSandboxStatus', podSandboxId).status);
  }

  async listPodSandbox(filter?: PodSandboxFilter, opts?: CallOptions): Promise<PodSandbox[]> {
    return [...this.sandboxes.values()]
      .map((s) => s.status)
      .filter((s) => (!filter?.id || s.id === filter.id) && (!filter?.state || s.state === filter.state.state) && matches(s.labels, filter?.labelSelector))
      .map(({ id, metadata, state, createdAt, labels, annotations, runtimeHandler }) =>
        structuredClone({ id, metadata, state, createdAt, labels, annotations, runtimeHandler }));
  }

  async createContainer(podSandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig, opts?: CallOptions): Promise<string> {
    const s = this.sandbox('CreateContainer', podSandboxId);
    if (s.status.state !== 'SANDBOX_READY') throw new CriError(Status.UNKNOWN, 'CreateContainer', `sandbox ${podSandboxId} is not running`);
    const image = this.findImage(config.image.image);
    if (!image) throw criError(Status.NOT_FOUND, 'CreateContainer', `failed to resolve image "${config.image.image}": not found`);
    const { name, attempt } = config.metadata;
    if ([...this.containers.values()].some((c) => c.podSandboxId === podSandboxId && c.status.metadata.name === name && c.status.metadata.attempt === attempt)) {
      throw new CriError(Status.UNKNOWN, 'CreateContainer', `failed to reserve container name "${name}_${attempt}": name is reserved`);
    }
    const id = this.newId('container');
    const logDir = sandboxConfig.logDirectory ?? s.config.logDirectory;
    const status: ContainerStatus = {
      id, metadata: { name, attempt }, state: 'CONTAINER_CREATED', createdAt: this.nowNs(), startedAt: 0, finishedAt: 0,
      exitCode: 0, image: { image: config.image.image }, imageRef: image.id, reason: '', message: '',
      labels: { ...config.labels }, annotations: { ...config.annotations }, mounts: structuredClone(config.mounts ?? []),
      logPath: logDir && config.logPath ? join(logDir, config.logPath) : '',
    };
    this.containers.set(id, { status, podSandboxId, config });
    return id;
  }

  async startContainer(containerId: string, opts?: CallOptions): Promise<void> {
    const c = this.container('StartContainer', containerId);
    if (c.status.state !== 'CONTAINER_CREATED') {
      throw new CriError(Status.UNKNOWN, 'StartContainer', `container ${containerId} is in ${c.status.state} state`);
    }
    Object.assign(c.status, { state: 'CONTAINER_RUNNING', startedAt: this.nowNs() });
  }

  // A stopped process dies of SIGTERM (143); stopping anything not running is a no-op.
  async stopContainer(containerId: string, timeoutSeconds: number, opts?: CallOptions): Promise<void> {
    const c = this.container('StopContainer', containerId);
    if (c.status.state === 'CONTAINER_RUNNING') this.exitContainer(containerId, 143);
  }

  // containerd: removing an unknown container succeeds.
  async removeContainer(containerId: string, opts?: CallOptions): Promise<void> {
    this.containers.delete(containerId);
  }

  async listContainers(filter?: ContainerFilter, opts?: CallOptions): Promise<Container[]> {
    return [...this.containers.values()]
      .filter(({ status: s, podSandboxId }) =>
        (!filter?.id || s.id === filter.id) && (!filter?.state || s.state === filter.state.state) &&
        (!filter?.podSandboxId || podSandboxId === filter.podSandboxId) && matches(s.labels, filter?.labelSelector))
      .map(({ status: s, podSandboxId }) => structuredClone({
        id: s.id, podSandboxId, metadata: s.metadata, image: s.image, imageRef: s.imageRef, state: s.state,
        createdAt: s.createdAt, labels: s.labels, annotations: s.annotations,
      }));
  }

  async containerStatus(containerId: string, opts?: CallOptions): Promise<ContainerStatus> {
    return structuredClone(this.container('ContainerStatus', containerId).status);
  }

  async updateContainerResources(containerId: string, linux: LinuxContainerResources, opts?: CallOptions): Promise<void> {
    this.container('UpdateContainerResources', containerId).resources = { ...linux };
  }

  async reopenContainerLog(containerId: string, opts?: CallOptions): Promise<void> {
    this.running('ReopenContainerLog', containerId);
  }

  async execSync(containerId: string, cmd: string[], timeoutSeconds: number, opts?: CallOptions): Promise<ExecSyncResult> {
    this.running('ExecSync', containerId);
    const result = Promise.resolve(this.execHandler(containerId, cmd));
    const signal = opts?.signal;
    if (!signal) return result;
    // As a cancelled gRPC call: CANCELLED as soon as the signal aborts.
    const cancelled = new Promise<never>((_, reject) => {
      const fail = () => reject(criError(Status.CANCELLED, 'ExecSync', 'context canceled'));
      if (signal.aborted) fail();
      else signal.addEventListener('abort', fail, { once: true });
    });
    return Promise.race([result, cancelled]);
  }

  // The streaming RPCs only hand out a URL; the fake's URLs lead nowhere.
  async exec(req: { containerId: string; cmd: string[] }, opts?: CallOptions): Promise<string> {
    return `http://127.0.0.1:0/exec/${this.running('Exec', req.containerId).status.id}`;
  }

  async attach(req: { containerId: string }, opts?: CallOptions): Promise<string> {
    return `http://127.0.0.1:0/attach/${this.running('Attach', req.containerId).status.id}`;
  }

  async portForward(req: { podSandboxId: string; port: number[] }, opts?: CallOptions): Promise<string> {
    return `http://127.0.0.1:0/portforward/${this.sandbox('PortForward', req.podSandboxId).status.id}`;
  }

  async containerStats(containerId: string, opts?: CallOptions): Promise<ContainerStats | undefined> {
    return this.stats(this.container('ContainerStats', containerId));
  }

  async listContainerStats(filter?: { id?: string; podSandboxId?: string; labelSelector?: StringMap }, opts?: CallOptions): Promise<ContainerStats[]> {
    return [...this.containers.values()]
      .filter((c) => c.status.state === 'CONTAINER_RUNNING' && (!filter?.id || c.status.id === filter.id) &&
        (!filter?.podSandboxId || c.podSandboxId === filter.podSandboxId) && matches(c.status.labels, filter?.labelSelector))
      .map((c) => this.stats(c));
  }

  // ---- ImageService ----

  async imageStatus(image: ImageSpec, opts?: CallOptions): Promise<Image | undefined> {
    const found = this.findImage(image.image);
    return found && structuredClone(found);
  }

  async pullImage(image: ImageSpec, auth?: AuthConfig, sandboxConfig?: PodSandboxConfig, opts?: CallOptions): Promise<string> {
    const present = this.findImage(image.image);
    if (present) return present.id;
    if (!this.pullable.has(normalizeImageRef(image.image))) {
      throw criError(Status.NOT_FOUND, 'PullImage', `failed to pull and unpack image "${normalizeImageRef(image.image)}": not found`);
    }
    return this.addImage(image.image).id;
  }

  async listImages(filter?: { image?: ImageSpec }, opts?: CallOptions): Promise<Image[]> {
    const only = filter?.image?.image ? this.findImage(filter.image.image) : undefined;
    return [...this.images.values()].filter((i) => !filter?.image?.image || i === only).map((i) => structuredClone(i));
  }

  // containerd: removing an absent image succeeds.
  async removeImage(image: ImageSpec, opts?: CallOptions): Promise<void> {
    const found = this.findImage(image.image);
    if (found) this.images.delete(found.id);
  }

  async imageFsInfo(opts?: CallOptions): Promise<FilesystemUsage[]> {
    const used = [...this.images.values()].reduce((n, i) => n + i.size, 0);
    return [{ timestamp: this.nowNs(), fsId: { mountpoint: '/var/lib/containerd' }, usedBytes: { value: used }, inodesUsed: { value: this.images.size } }];
  }

  // ---- internals ----

  private enter(method: Method, args: unknown[]): void {
    this.calls.push({ method, args });
    const queue = this.failures.get(method);
    const next = queue?.[0];
    if (!queue || !next) return;
    if (--next.times <= 0) queue.shift();
    throw next.error;
  }

  private nowNs(): number { return this.now() * 1e6; }

  private newId(kind: string): string { return `${kind}-${String(++this.seq).padStart(4, '0')}`; }

  private findImage(ref: string): Image | undefined {
    const name = normalizeImageRef(ref);
    return [...this.images.values()].find((i) => i.id === ref || i.repoTags.includes(name) || i.repoDigests.includes(name));
  }

  // containerd's wording for an unknown id, with code NotFound.
  private sandbox(rpc: string, id: string): FakeSandbox {
    return this.sandboxes.get(id) ?? notFound(rpc, `an error occurred when try to find sandbox "${id}": not found`);
  }

  private container(rpc: string, id: string): FakeContainer {
    return this.containers.get(id) ?? notFound(rpc, `an error occurred when try to find container "${id}": not found`);
  }

  private running(rpc: string, id: string): FakeContainer {
    const c = this.container(rpc, id);
    if (c.status.state !== 'CONTAINER_RUNNING') throw new CriError(Status.UNKNOWN, rpc, `container ${id} is in ${c.status.state} state`);
    return c;
  }

  private stats(c: FakeContainer): ContainerStats {
    const [t, { id, metadata, labels, annotations }] = [this.nowNs(), c.status];
    return structuredClone({
      attributes: { id, metadata, labels, annotations }, writableLayer: { usedBytes: { value: 0 } },
      cpu: { timestamp: t, usageCoreNanoSeconds: { value: 0 }, usageNanoCores: { value: 0 } },
      memory: { timestamp: t, workingSetBytes: { value: 0 }, usageBytes: { value: 0 } },
    });
  }
}
