// The CRI RuntimeService over gRPC: one method per RPC, requests built and responses unwrapped.
import { status as Status } from '@grpc/grpc-js';
import { CriError } from './errors.js';
import { callTimeout, unary, type RpcContext } from './rpc.js';
import type {
  CallOptions,
  Container,
  ContainerConfig,
  ContainerFilter,
  ContainerStats,
  ContainerStatus,
  ExecSyncResult,
  LinuxContainerResources,
  PodSandbox,
  PodSandboxConfig,
  PodSandboxFilter,
  PodSandboxStatus,
  RuntimeService,
  RuntimeStatusResponse,
  StringMap,
  VersionResponse,
} from './types.js';

/** The CRI API version the kubelet announces in VersionRequest. */
export const KUBE_RUNTIME_API_VERSION = '0.1.0';

/** Throws when a response lacks the message it exists to carry (kubelet: verifySandboxStatus & co). */
function required<T>(value: T | undefined, method: string, what: string): T {
  if (value === undefined) throw new CriError(Status.UNKNOWN, method, `the runtime answered without ${what}`);
  return value;
}

export function createRuntimeService(ctx: RpcContext): RuntimeService {
  const call = <Res>(method: string, request: object, opts: CallOptions | undefined, extraMs = 0) =>
    unary<Res>(ctx, method, request, callTimeout(ctx, opts, extraMs));

  return {
    version: (opts) => call<VersionResponse>('Version', { version: KUBE_RUNTIME_API_VERSION }, opts),

    status: (opts) => call<RuntimeStatusResponse>('Status', { verbose: false }, opts),

    async runPodSandbox(config, runtimeHandler = '', opts) {
      const res = await call<{ podSandboxId: string }>('RunPodSandbox', { config, runtimeHandler }, opts);
      return res.podSandboxId;
    },

    async stopPodSandbox(podSandboxId, opts) {
      await call('StopPodSandbox', { podSandboxId }, opts);
    },

    async removePodSandbox(podSandboxId, opts) {
      await call('RemovePodSandbox', { podSandboxId }, opts);
    },

    async podSandboxStatus(podSandboxId, opts) {
      const res = await call<{ status?: PodSandboxStatus }>('PodSandboxStatus', { podSandboxId, verbose: false }, opts);
      return required(res.status, 'PodSandboxStatus', 'a sandbox status');
    },

    async listPodSandbox(filter?: PodSandboxFilter, opts?: CallOptions) {
      const res = await call<{ items: PodSandbox[] }>('ListPodSandbox', { filter }, opts);
      return res.items;
    },

    async createContainer(podSandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig, opts) {
      const res = await call<{ containerId: string }>('CreateContainer', { podSandboxId, config, sandboxConfig }, opts);
      return res.containerId;
    },

    async startContainer(containerId, opts) {
      await call('StartContainer', { containerId }, opts);
    },

    // kubelet StopContainer: the deadline is the request timeout plus the grace period, leaving
    // the runtime time to SIGKILL and clean up after the grace period runs out.
    async stopContainer(containerId, timeoutSeconds, opts) {
      await call('StopContainer', { containerId, timeout: timeoutSeconds }, opts, Math.max(0, timeoutSeconds) * 1000);
    },

    async removeContainer(containerId, opts) {
      await call('RemoveContainer', { containerId }, opts);
    },

    async listContainers(filter?: ContainerFilter, opts?: CallOptions) {
      const res = await call<{ containers: Container[] }>('ListContainers', { filter }, opts);
      return res.containers;
    },

    async containerStatus(containerId, opts) {
      const res = await call<{ status?: ContainerStatus }>('ContainerStatus', { containerId, verbose: false }, opts);
      return required(res.status, 'ContainerStatus', 'a container status');
    },

    async updateContainerResources(containerId: string, linux: LinuxContainerResources, opts?: CallOptions) {
      await call('UpdateContainerResources', { containerId, linux }, opts);
    },

    async reopenContainerLog(containerId, opts) {
      await call('ReopenContainerLog', { containerId }, opts);
    },

    // kubelet ExecSync: the deadline is the request timeout plus the exec timeout. The kubelet sets
    // no deadline at all for timeout 0; here every call keeps one (the default, or opts.timeoutMs).
    async execSync(containerId, cmd, timeoutSeconds, opts): Promise<ExecSyncResult> {
      const extra = Math.max(0, timeoutSeconds) * 1000;
      const res = await call<ExecSyncResult>('ExecSync', { containerId, cmd, timeout: timeoutSeconds }, opts, extra);
      return { stdout: res.stdout ?? Buffer.alloc(0), stderr: res.stderr ?? Buffer.alloc(0), exitCode: res.exitCode };
    },

    async exec(req, opts) {
      const res = await call<{ url: string }>('Exec', req, opts);
      return res.url;
    },

    async attach(req, opts) {
      const res = await call<{ url: string }>('Attach', req, opts);
      return res.url;
    },

    async portForward(req, opts) {
      const res = await call<{ url: string }>('PortForward', req, opts);
      return res.url;
    },

    async containerStats(containerId, opts) {
      const res = await call<{ stats?: ContainerStats }>('ContainerStats', { containerId }, opts);
      return res.stats;
    },

    async listContainerStats(filter?: { id?: string; podSandboxId?: string; labelSelector?: StringMap }, opts?: CallOptions) {
      const res = await call<{ stats: ContainerStats[] }>('ListContainerStats', { filter }, opts);
      return res.stats;
    },
  };
}
