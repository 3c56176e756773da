// A CriRuntime for `plan` that changes nothing: writes are noted and answered with placeholders, reads go to the real runtime (if any) and see what the dry run "made".
//
// The agent's own executor runs against it, so the calls it notes are the calls the agent would
// make, in its order, with its requests. Each call made under a cause (trace/cause.ts) becomes a
// plan step; the simulator's own looks between syncs have no cause and are not steps.
import { status as Status } from '@grpc/grpc-js';
import { criError } from '../cri/errors.js';
import { criRequest } from '../cri/requests.js';
import type {
  AuthConfig, Container, ContainerConfig, ContainerFilter, ContainerState, ContainerStatus, CriRuntime, Image, ImageSpec, PodSandbox,
  PodSandboxConfig, PodSandboxFilter, PodSandboxStatus, StringMap,
} from '../cri/types.js';
import { CONTAINER_TYPE_LABEL } from '../runtime/labels.js';
import { currentCause } from '../trace/cause.js';
import { callAnswer } from '../trace/summary.js';

/** One call the agent would make: which, why (its plan step), the full request, and what a read answered. */
export interface PlanStep {
  sync: number;
  call: string;
  why: string;
  request?: object;
  answer?: string;
  /** Events the agent would record at this step (kubectl describe's Events), "Type Reason: message". */
  events?: string[];
}

/** What a pod's IP is called before RunPodSandbox has answered. */
export const POD_IP_PLACEHOLDER = '<pod IP>';

interface DrySandbox { status: PodSandboxStatus }
interface DryContainer { entry: Container; config: ContainerConfig; startedAt: number; finishedAt: number; exitCode: number }

/** Events that announce the next call rather than tell what the last one did. */
const ANNOUNCING = /^(Normal (Pulling|Killing|SandboxChanged)|Warning (MissingClusterDNS|DNSConfigForming)):/;

const matches = (labels: StringMap | undefined, selector: StringMap | undefined) =>
  Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);

export class DryRunCri implements CriRuntime {
  readonly steps: PlanStep[] = [];
  private readonly sandboxes = new Map<string, DrySandbox>();
  private readonly containers = new Map<string, DryContainer>();
  private readonly pulled = new Map<string, Image>();
  /** Real objects the dry run stopped: they count as exited (or not ready) from then on. */
  private readonly stopped = new Set<string>();
  private tick = 0;
  /** Events recorded in a step before its next call: they go with that call. */
  private pending: { sync: number; why: string; text: string }[] = [];

  /** `reader`: the real runtime, asked read-only calls only; none means an empty node with no images. */
  constructor(private readonly reader: CriRuntime | undefined, private readonly now: () => number) {}

  /** Notes a step, in call order, when a cause is current. */
  private begin(method: keyof CriRuntime, args: unknown[]): PlanStep | undefined {
    const cause = currentCause();
    if (!cause) return undefined;
    const { rpc, request } = criRequest(method, args);
    const step: PlanStep = { sync: cause.sync, call: rpc, why: cause.step, request };
    const mine = this.pending.filter((e) => e.sync === step.sync && e.why === step.why);
    this.flushEvents((e) => !mine.includes(e));
    if (mine.length) step.events = mine.map((e) => e.text);
    this.pending = [];
    this.steps.push(step);
    return step;
  }

  /**
   * An event the agent records (kubectl describe's Events). One that announces a call (Pulling,
   * Killing, a DNS warning before RunPodSandbox) goes with the step's next call; any other goes
   * with the step's last call (Created, Started, Pulled, Failed), or stands as a step of its own
   * ("none") when the step made no call (a config error that stops a container before any).
   */
  event(text: string): void {
    const cause = currentCause();
    if (!cause) return;
    if (ANNOUNCING.test(text)) {
      this.pending.push({ sync: cause.sync, why: cause.step, text });
      return;
    }
    const last = this.steps.at(-1);
    if (last && last.sync === cause.sync && last.why === cause.step) (last.events ??= []).push(text);
    else this.steps.push({ sync: cause.sync, call: 'none', why: cause.step, events: [text] });
  }

  /** Events no call took, as steps of their own ("none"), in order. */
  flushEvents(which: (e: { sync: number; why: string; text: string }) => boolean = () => true): void {
    for (const e of this.pending.filter(which)) {
      const last = this.steps.at(-1);
      if (last?.call === 'none' && last.sync === e.sync && last.why === e.why) (last.events ??= []).push(e.text);
      else this.steps.push({ sync: e.sync, call: 'none', why: e.why, events: [e.text] });
    }
    this.pending = this.pending.filter((e) => !which(e));
  }

  /** A read: noted as it starts, its answer added once it is known. */
  private async read<T>(method: keyof CriRuntime, args: unknown[], answer: () => Promise<T>): Promise<T> {
    const step = this.begin(method, args);
    const value = await answer();
    if (step) step.answer = callAnswer(method, value) + (!this.reader && method === 'imageStatus' && !value ? ' (offline: taken as absent)' : '');
    return value;
  }

  /** A write: noted, never sent; the caller gets `value`. */
  private write<T>(method: keyof CriRuntime, args: unknown[], value: T): T {
    this.begin(method, args);
    return value;
  }

  /** A unix-ns time after every earlier one, so what the dry run makes sorts newest. */
  private nextNs(): number {
    return (this.now() + ++this.tick) * 1e6;
  }

  /**
   * Lets simulated time pass between two syncs: every dry init container that runs exits 0 (it
   * did its work), every other dry container that was created runs.
   */
  advance(): void {
    for (const c of this.containers.values()) {
      if (c.entry.state === 'CONTAINER_RUNNING' && c.entry.labels[CONTAINER_TYPE_LABEL] === 'init') {
        Object.assign(c, { finishedAt: this.nextNs(), exitCode: 0 });
        c.entry.state = 'CONTAINER_EXITED';
      }
    }
  }

  // ---- reads: the real runtime's objects, overlaid with what the dry run did ----

  version() { return this.read('version', [], async () => (await this.reader?.version()) ?? { version: '0.1.0', runtimeName: 'plan', runtimeVersion: '', runtimeApiVersion: 'v1' }); }
  status() { return this.read('status', [], async () => (await this.reader?.status()) ?? { info: {} }); }

  async imageStatus(image: ImageSpec) {
    return this.read('imageStatus', [image], async () => this.pulled.get(image.image) ?? (await this.reader?.imageStatus(image)));
  }

  listPodSandbox(filter?: PodSandboxFilter): Promise<PodSandbox[]> {
    return this.read('listPodSandbox', [filter], async () => {
      const real = ((await this.reader?.listPodSandbox(filter)) ?? []).map((s) => this.overlaySandbox(s));
      const own = [...this.sandboxes.values()].map((s) => ({ ...s.status }));
      return [...real, ...own.filter((s) => matches(s.labels, filter?.labelSelector) && (!filter?.id || s.id === filter.id))];
    });
  }

  listContainers(filter?: ContainerFilter): Promise<Container[]> {
    return this.read('listContainers', [filter], async () => {
      const inDryBox = filter?.podSandboxId !== undefined && this.sandboxes.has(filter.podSandboxId);
      const real = inDryBox ? [] : ((await this.reader?.listContainers(filter)) ?? []).map((c) => this.overlayContainer(c));
      const own = [...this.containers.values()].map((c) => ({ ...c.entry }));
      return [...real, ...own.filter((c) => matches(c.labels, filter?.labelSelector) && (!filter?.podSandboxId || c.podSandboxId === filter.podSandboxId))];
    });
  }

  podSandboxStatus(id: string): Promise<PodSandboxStatus> {
    return this.read('podSandboxStatus', [id], async () => {
      const own = this.sandboxes.get(id)?.status;
      return own ? { ...own } : this.overlaySandbox(await this.realOrNotFound('PodSandboxStatus', id, (r) => r.podSandboxStatus(id)));
    });
  }

  containerStatus(id: string): Promise<ContainerStatus> {
    return this.read('containerStatus', [id], async () => {
      const own = this.containers.get(id);
      if (!own) return this.overlayContainer(await this.realOrNotFound('ContainerStatus', id, (r) => r.containerStatus(id)));
      const { entry, config } = own;
      return {
        id, metadata: entry.metadata, state: entry.state, createdAt: entry.createdAt, startedAt: own.startedAt, finishedAt: own.finishedAt,
        exitCode: own.exitCode, image: entry.image, imageRef: entry.imageRef, reason: entry.state === 'CONTAINER_EXITED' ? 'Completed' : '',
        message: '', labels: entry.labels, annotations: entry.annotations, mounts: config.mounts ?? [], logPath: config.logPath ?? '',
      };
    });
  }

  /** A real sandbox the dry run stopped is not ready any more. */
  private overlaySandbox<T extends { id: string; state: PodSandbox['state'] }>(s: T): T {
    return this.stopped.has(s.id) ? { ...s, state: 'SANDBOX_NOTREADY' } : s;
  }

  /** A real container the dry run stopped has exited (as SIGKILL would end it: 137). */
  private overlayContainer<T extends { id: string; state: ContainerState }>(c: T): T {
    if (!this.stopped.has(c.id) || c.state === 'CONTAINER_EXITED') return c;
    return { ...c, state: 'CONTAINER_EXITED', exitCode: 137, reason: 'Error', finishedAt: this.nextNs() };
  }

  private async realOrNotFound<T>(rpc: string, id: string, call: (r: CriRuntime) => Promise<T>): Promise<T> {
    if (!this.reader) throw criError(Status.NOT_FOUND, rpc, `${id} not found`);
    return { ...(await call(this.reader)) };
  }

  listImages() { return this.read('listImages', [], async () => [...this.pulled.values(), ...((await this.reader?.listImages()) ?? [])]); }
  imageFsInfo() { return this.read('imageFsInfo', [], async () => (await this.reader?.imageFsInfo()) ?? []); }
  containerStats() { return this.read('containerStats', [], async () => undefined); }
  listContainerStats() { return this.read('listContainerStats', [], async () => []); }

  // ---- writes: noted, never sent ----

  async runPodSandbox(config: PodSandboxConfig, runtimeHandler = ''): Promise<string> {
    const id = `<new sandbox, attempt ${config.metadata.attempt}>`;
    const hostNetwork = config.linux?.securityContext?.namespaceOptions?.network === 'NODE';
    const status: PodSandboxStatus = {
      id, metadata: { ...config.metadata }, state: 'SANDBOX_READY', createdAt: this.nextNs(),
      network: { ip: hostNetwork ? '' : POD_IP_PLACEHOLDER, additionalIps: [] },
      linux: { namespaces: { options: { ...config.linux?.securityContext?.namespaceOptions } } },
      labels: { ...config.labels }, annotations: { ...config.annotations }, runtimeHandler,
    };
    this.sandboxes.set(id, { status });
    return this.write('runPodSandbox', [config, runtimeHandler], id);
  }

  async createContainer(podSandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig): Promise<string> {
    const id = `<new container ${config.metadata.name}, attempt ${config.metadata.attempt}>`;
    const entry: Container = {
      id, podSandboxId, metadata: { ...config.metadata }, image: config.image, imageRef: this.pulled.get(config.image.image)?.id ?? config.image.image,
      state: 'CONTAINER_CREATED', createdAt: this.nextNs(), labels: { ...config.labels }, annotations: { ...config.annotations },
    };
    this.containers.set(id, { entry, config, startedAt: 0, finishedAt: 0, exitCode: 0 });
    return this.write('createContainer', [podSandboxId, config, sandboxConfig], id);
  }

  async startContainer(id: string): Promise<void> {
    this.setState(id, 'CONTAINER_RUNNING');
    this.write('startContainer', [id], undefined);
  }

  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    this.setState(id, 'CONTAINER_EXITED');
    this.stopped.add(id);
    this.write('stopContainer', [id, timeoutSeconds], undefined);
  }

  async stopPodSandbox(id: string): Promise<void> {
    this.stopped.add(id);
    const own = this.sandboxes.get(id);
    if (own) own.status.state = 'SANDBOX_NOTREADY';
    this.write('stopPodSandbox', [id], undefined);
  }

  async pullImage(image: ImageSpec, auth?: AuthConfig, sandboxConfig?: PodSandboxConfig): Promise<string> {
    const id = `<id of ${image.image} once pulled>`;
    this.pulled.set(image.image, { id, repoTags: [image.image], repoDigests: [], size: 0, username: '', pinned: false });
    return this.write('pullImage', [image, auth, sandboxConfig], id);
  }

  async removePodSandbox(id: string) { this.write('removePodSandbox', [id], undefined); }
  async removeContainer(id: string) { this.write('removeContainer', [id], undefined); }
  async removeImage(image: ImageSpec) { this.write('removeImage', [image], undefined); }
  async updateContainerResources(id: string, linux: object) { this.write('updateContainerResources', [id, linux], undefined); }
  async reopenContainerLog(id: string) { this.write('reopenContainerLog', [id], undefined); }
  async execSync(id: string, cmd: string[], timeoutSeconds: number) {
    return this.write('execSync', [id, cmd, timeoutSeconds], { stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), exitCode: 0 });
  }
  async exec(req: object) { return this.write('exec', [req], ''); }
  async attach(req: object) { return this.write('attach', [req], ''); }
  async portForward(req: object) { return this.write('portForward', [req], ''); }

  private setState(id: string, state: ContainerState): void {
    const own = this.containers.get(id);
    if (!own) return;
    own.entry.state = state;
    if (state === 'CONTAINER_RUNNING') own.startedAt = this.nextNs();
    if (state === 'CONTAINER_EXITED') Object.assign(own, { finishedAt: this.nextNs(), exitCode: 137 });
  }
}
