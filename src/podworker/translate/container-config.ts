// Pod container → CRI ContainerConfig, pure (the kubelet's generateContainerConfig and its helpers).
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import type { ContainerKind } from '../actions.js';
import type { ContainerConfig, LinuxContainerResources, Mount } from '../../cri/types.js';
import { expandCommandAndArgs, makeEnvironmentVariables, type EnvSources } from './env.js';
import { ContainerConfigError } from './errors.js';
import { newContainerAnnotations, newContainerLabels } from './labels.js';
import { containerOOMScoreAdjust } from './oom-score.js';
import { checkPodPolicy, type NodePolicy } from './policy.js';
import { value } from './quantity.js';
import { linuxContainerResources } from './resources.js';
import { containerSecurityContext } from './security.js';
import { checkContainerFields, checkPodFields } from './unsupported.js';

export { ContainerConfigError } from './errors.js';

/** What the node contributes to every container's config, the same for all pods (run.ts builds it once). */
export interface NodeContainerOptions {
  /** Node allocatable (quantities by resource name): what an unset limit means to resourceFieldRef. */
  allocatable?: Readonly<Record<string, string>>;
  /** Where Localhost seccomp profiles live (kubelet: <root-dir>/seccomp). */
  seccompProfileRoot?: string;
  /** The node's memory in bytes, for Burstable oom_score_adj; default: allocatable memory; unknown: not set. */
  memoryCapacity?: number;
  /** What powerful features pods may use (--allow-privileged, ...); default: all. */
  policy?: NodePolicy;
  /** Whether the host enforces AppArmor; without it only Unconfined profiles can be honoured. */
  appArmorEnabled?: boolean;
}

export interface ContainerOptions extends NodeContainerOptions {
  podIP?: string;
  podIPs?: string[];
  hostIP?: string;
  /** All node IPs for status.hostIPs; defaults to [hostIP]. */
  hostIPs?: string[];
  /** Prepared by the volume code (host paths exist by now). */
  mounts?: Mount[];
  nodeName: string;
  /** The referenced ConfigMaps and Secrets (decoded), the service links, the invalid-key warning; undefined without an API server. */
  configMaps?: EnvSources['configMaps'];
  secrets?: EnvSources['secrets'];
  services?: EnvSources['services'];
  onInvalidKeys?: EnvSources['onInvalidKeys'];
}

/** buildContainerLogsPath: relative to the sandbox's log directory. */
export function containerLogPath(containerName: string, restartCount: number): string {
  return `${containerName}/${restartCount}.log`;
}

/**
 * generateContainerConfig. The image is passed as the spec names it; the runtime resolves it and
 * applies the image's ENTRYPOINT/CMD rules (command replaces ENTRYPOINT and drops CMD; args alone
 * replace CMD). Throws ContainerConfigError for what cannot be honoured (a missing ConfigMap key,
 * an unsupported fieldPath or field, what the node policy forbids, ...).
 */
export function generateContainerConfig(
  pod: V1Pod,
  container: V1Container,
  kind: ContainerKind,
  restartCount: number,
  opts: ContainerOptions,
): ContainerConfig {
  if (!container.image) throw new ContainerConfigError(`container ${container.name} has no image`);
  // The pod-level checks again: the sandbox may predate a change of flags (an agent restart).
  checkPodFields(pod, opts.appArmorEnabled);
  checkPodPolicy(pod, opts.policy);
  checkContainerFields(container, opts.appArmorEnabled);
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
      resources: withOOMScoreAdj(linuxContainerResources(container), pod, container, opts),
      securityContext: containerSecurityContext(pod, container, opts.seccompProfileRoot),
    },
  };
  if (container.workingDir) config.workingDir = container.workingDir;
  return config;
}

/** generateLinuxContainerResources: oom_score_adj by QoS, when the node's memory capacity is known. */
function withOOMScoreAdj(resources: LinuxContainerResources, pod: V1Pod, container: V1Container, opts: ContainerOptions): LinuxContainerResources {
  const capacity = opts.memoryCapacity ?? (opts.allocatable?.memory !== undefined ? value(opts.allocatable.memory) : 0);
  if (capacity <= 0) return resources;
  return { ...resources, oomScoreAdj: containerOOMScoreAdjust(pod, container, capacity) };
}
