// Pod container → CRI ContainerConfig, pure (the kubelet's generateContainerConfig and its helpers).
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import type { ContainerKind } from '../actions.js';
import type { ContainerConfig, Mount } from '../../cri/types.js';
import { expandCommandAndArgs, makeEnvironmentVariables } from './env.js';
import { ContainerConfigError } from './errors.js';
import { newContainerAnnotations, newContainerLabels } from './labels.js';
import { linuxContainerResources } from './resources.js';
import { containerSecurityContext } from './security.js';

export { ContainerConfigError } from './errors.js';

export interface ContainerOptions {
  podIP?: string;
  podIPs?: string[];
  hostIP?: string;
  /** All node IPs for status.hostIPs; defaults to [hostIP]. */
  hostIPs?: string[];
  /** Prepared by the volume code (host paths exist by now). */
  mounts?: Mount[];
  nodeName: string;
  /** ConfigMaps / Secrets (decoded) of the pod's namespace, by name; undefined without an API server. */
  configMaps?: ReadonlyMap<string, Readonly<Record<string, string>>>;
  secrets?: ReadonlyMap<string, Readonly<Record<string, string>>>;
  /** Node allocatable (quantities by resource name): what an unset limit means to resourceFieldRef. */
  allocatable?: Readonly<Record<string, string>>;
  /** Where Localhost seccomp profiles live (kubelet: <root-dir>/seccomp). */
  seccompProfileRoot?: string;
}

/** buildContainerLogsPath: relative to the sandbox's log directory. */
export function containerLogPath(containerName: string, restartCount: number): string {
  return `${containerName}/${restartCount}.log`;
}

/**
 * generateContainerConfig. The image is passed as the spec names it; the runtime resolves it and
 * applies the image's ENTRYPOINT/CMD when command/args are absent. Throws ContainerConfigError
 * for what cannot be honoured (a missing ConfigMap key, an unsupported fieldPath, ...).
 */
export function generateContainerConfig(
  pod: V1Pod,
  container: V1Container,
  kind: ContainerKind,
  restartCount: number,
  opts: ContainerOptions,
): ContainerConfig {
  if (!container.image) throw new ContainerConfigError(`container ${container.name} has no image`);
  const envs = makeEnvironmentVariables(pod, container, opts);
  const config: ContainerConfig = {
    metadata: { name: container.name, attempt: restartCount },
    image: { image: container.image },
    ...expandCommandAndArgs(container, envs),
    envs,
    mounts: opts.mounts ?? [],
    labels: newContainerLabels(container, pod, opts.nodeName, kind),
    annotations: newContainerAnnotations(container, pod, restartCount),
    logPath: containerLogPath(container.name, restartCount),
    stdin: container.stdin === true,
    stdinOnce: container.stdinOnce === true,
    tty: container.tty === true,
    linux: {
      resources: linuxContainerResources(container),
      securityContext: containerSecurityContext(pod, container, opts.seccompProfileRoot),
    },
  };
  if (container.workingDir) config.workingDir = container.workingDir;
  return config;
}
