// The CRI request message each client method sends, by method: one definition for the gRPC services and for whoever shows the calls (plan, trace).
import type { AuthConfig, ContainerConfig, ContainerFilter, CriRuntime, ImageSpec, LinuxContainerResources, PodSandboxConfig, PodSandboxFilter, StringMap } from './types.js';

/** The CRI API version the kubelet announces in VersionRequest. */
export const KUBE_RUNTIME_API_VERSION = '0.1.0';

/** An RPC of runtime.v1 (its name as in the proto) and the request message sent with it. */
export interface CriRequest {
  rpc: string;
  request: object;
}

/**
 * One builder per CriRuntime method, taking that method's arguments (call options left off).
 * The gRPC services send exactly what these build, so what plan prints is what the runtime gets.
 */
export const CRI_REQUESTS = {
  version: () => req('Version', { version: KUBE_RUNTIME_API_VERSION }),
  status: () => req('Status', { verbose: false }),
  runPodSandbox: (config: PodSandboxConfig, runtimeHandler = '') => req('RunPodSandbox', { config, runtimeHandler }),
  stopPodSandbox: (podSandboxId: string) => req('StopPodSandbox', { podSandboxId }),
  removePodSandbox: (podSandboxId: string) => req('RemovePodSandbox', { podSandboxId }),
  podSandboxStatus: (podSandboxId: string) => req('PodSandboxStatus', { podSandboxId, verbose: false }),
  listPodSandbox: (filter?: PodSandboxFilter) => req('ListPodSandbox', { filter }),
  createContainer: (podSandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig) =>
    req('CreateContainer', { podSandboxId, config, sandboxConfig }),
  startContainer: (containerId: string) => req('StartContainer', { containerId }),
  stopContainer: (containerId: string, timeoutSeconds: number) => req('StopContainer', { containerId, timeout: timeoutSeconds }),
  removeContainer: (containerId: string) => req('RemoveContainer', { containerId }),
  listContainers: (filter?: ContainerFilter) => req('ListContainers', { filter }),
  containerStatus: (containerId: string) => req('ContainerStatus', { containerId, verbose: false }),
  updateContainerResources: (containerId: string, linux: LinuxContainerResources) => req('UpdateContainerResources', { containerId, linux }),
  reopenContainerLog: (containerId: string) => req('ReopenContainerLog', { containerId }),
  execSync: (containerId: string, cmd: string[], timeoutSeconds: number) => req('ExecSync', { containerId, cmd, timeout: timeoutSeconds }),
  exec: (r: object) => req('Exec', r),
  attach: (r: object) => req('Attach', r),
  portForward: (r: object) => req('PortForward', r),
  containerStats: (containerId: string) => req('ContainerStats', { containerId }),
  listContainerStats: (filter?: { id?: string; podSandboxId?: string; labelSelector?: StringMap }) => req('ListContainerStats', { filter }),
  imageStatus: (image: ImageSpec) => req('ImageStatus', { image, verbose: false }),
  pullImage: (image: ImageSpec, auth?: AuthConfig, sandboxConfig?: PodSandboxConfig) => req('PullImage', { image, auth, sandboxConfig }),
  listImages: (filter?: { image?: ImageSpec }) => req('ListImages', { filter }),
  removeImage: (image: ImageSpec) => req('RemoveImage', { image }),
  imageFsInfo: () => req('ImageFsInfo', {}),
} satisfies Record<keyof CriRuntime, (...args: never[]) => CriRequest>;

function req(rpc: string, request: object): CriRequest {
  return { rpc, request };
}

/** The request a CriRuntime method sends for these arguments (extra arguments, the call options, are ignored). */
export function criRequest(method: keyof CriRuntime, args: readonly unknown[]): CriRequest {
  return (CRI_REQUESTS[method] as (...a: unknown[]) => CriRequest)(...args);
}
