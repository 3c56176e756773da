// Pod → CRI PodSandboxConfig, pure (the kubelet's generatePodSandboxConfig and generatePodSandboxLinuxConfig).
import type { V1Pod } from '@kubernetes/client-node';
import type { PodSandboxConfig } from '../../cri/types.js';

export interface SandboxOptions {
  nodeName: string;
  podLogsDir: string;
  /** The CONTENT of the node's resolv.conf (--resolv-conf); undefined or '' when none is configured. */
  resolvConf?: string;
  clusterDNS?: string[];
  clusterDomain?: string;
  cgroupParent?: string;
}

/** A pod whose sandbox cannot be configured as asked (the kubelet's CreatePodSandboxConfigError). */
export class SandboxConfigError extends Error {
  override readonly name = 'SandboxConfigError';
}

export function generatePodSandboxConfig(pod: V1Pod, attempt: number, opts: SandboxOptions): PodSandboxConfig {
  void opts;
  return {
    metadata: {
      name: pod.metadata?.name ?? '',
      uid: pod.metadata?.uid ?? '',
      namespace: pod.metadata?.namespace ?? '',
      attempt,
    },
  };
}
