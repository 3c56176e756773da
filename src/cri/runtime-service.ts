// The CRI RuntimeService over gRPC: one method per RPC, requests built (requests.ts) and responses unwrapped.
import { status as Status } from '@grpc/grpc-js';
import { CriError } from './errors.js';
import { CRI_REQUESTS as R, type CriRequest } from './requests.js';
import { callTimeout, unary, type RpcContext } from './rpc.js';
import type {
  CallOptions,
  Container,
  ContainerFilter,
  ContainerStats,
  ContainerStatus,
  ExecSyncResult,
  LinuxContainerResources,
  PodSandbox,
  PodSandboxFilter,
  PodSandboxStatus,
  RuntimeService,
  RuntimeStatusResponse,
  StringMap,
  VersionResponse,
} from './types.js';

export { KUBE_RUNTIME_API_VERSION } from './requests.js';

/** Throws when a response lacks the message it exists to carry (kubelet: verifySandboxStatus & co). */
function required<T>(value: T | undefined, method: string, what: string): T {
  if (value === undefined) throw new CriError(Status.UNKNOWN, method, `the runtime answered without ${what}`);
  return value;
}

export function createRuntimeService(ctx: RpcContext): RuntimeService {
  const call = <Res>({ rpc, request }: CriRequest, opts: CallOptions | undefined, extraMs = 0) =>
    unary<Res>(ctx, rpc, request, callTimeout(ctx, opts, extraMs), opts?.signal);

  return {
    version: (opts) => call<VersionResponse>(R.version(), opts),

    status: (opts) => call<RuntimeStatusResponse>(R.status(), opts),

    async runPodSandbox(config, runtimeHandler = '', opts) {
      const res = await call<{ podSandboxId: string }>(R.runPodSandbox(config, runtimeHandler), opts);
      return res.podSandboxId;
    },

    async stopPodSandbox(podSandboxId, opts) {
      await call(R.stopPodSandbox(podSandboxId), opts);
    },

    async removePodSandbox(podSandboxId, opts) {
      await call(R.removePodSandbox(podSandboxId), opts);
    },

    async podSandboxStatus(podSandboxId, opts) {
      const res = await call<{ status?: PodSandboxStatus }>(R.podSandboxStatus(podSandboxId), opts);
      return required(res.status, 'PodSandboxStatus', 'a sandbox status');
    },

    async listPodSandbox(filter?: PodSandboxFilter, opts?: CallOptions) {
      const res = await call<{ items: PodSandbox[] }>(R.listPodSandbox(filter), opts);
      return res.items;
    },

    async createContainer(podSandboxId, config, sandboxConfig, opts) {
      const res = await call<{ containerId: string }>(R.createContainer(podSandboxId, config, sandboxConfig), opts);
      return res.containerId;
    },

    async startContainer(containerId, opts) {
      await call(R.startContainer(containerId), opts);
    },

    // kubelet StopContainer: the deadline is the request timeout plus the grace period, leaving
    // the runtime time to SIGKILL and clean up after the grace period runs out.
    async stopContainer(containerId, timeoutSeconds, opts) {
      await call(R.stopContainer(containerId, timeoutSeconds), opts, Math.max(0, timeoutSeconds) * 1000);
    },

    async removeContainer(containerId, opts) {
      await call(R.removeContainer(containerId), opts);
    },

    async listContainers(filter?: ContainerFilter, opts?: CallOptions) {
      const res = await call<{ containers: Container[] }>(R.listContainers(filter), opts);
      return res.containers;
    },

    async containerStatus(containerId, opts) {
      const res = await call<{ status?: ContainerStatus }>(R.containerStatus(containerId), opts);
      return required(res.status, 'ContainerStatus', 'a container status');
    },

    async updateContainerResources(containerId: string, linux: LinuxContainerResources, opts?: CallOptions) {
      await call(R.updateContainerResources(containerId, linux), opts);
    },

    async reopenContainerLog(containerId, opts) {
      await call(R.reopenContainerLog(containerId), opts);
    },

    // kubelet ExecSync: the deadline is the request timeout plus the exec timeout. The kubelet sets
    // no deadline at all for timeout 0; here every call keeps one (the default, or opts.timeoutMs).
    async execSync(containerId, cmd, timeoutSeconds, opts): Promise<ExecSyncResult> {
      const extra = Math.max(0, timeoutSeconds) * 1000;
      const res = await call<ExecSyncResult>(R.execSync(containerId, cmd, timeoutSeconds), opts, extra);
      return { stdout: res.stdout ?? Buffer.alloc(0), stderr: res.stderr ?? Buffer.alloc(0), exitCode: res.exitCode };
    },

    async exec(req, opts) {
      const res = await call<{ url: string }>(R.exec(req), opts);
      return res.url;
    },

    async attach(req, opts) {
      const res = await call<{ url: string }>(R.attach(req), opts);
      return res.url;
    },

    async portForward(req, opts) {
      const res = await call<{ url: string }>(R.portForward(req), opts);
      return res.url;
    },

    async containerStats(containerId, opts) {
      const res = await call<{ stats?: ContainerStats }>(R.containerStats(containerId), opts);
      return res.stats;
    },

    async listContainerStats(filter?: { id?: string; podSandboxId?: string; labelSelector?: StringMap }, opts?: CallOptions) {
      const res = await call<{ stats: ContainerStats[] }>(R.listContainerStats(filter), opts);
      return res.stats;
    },
  };
}
