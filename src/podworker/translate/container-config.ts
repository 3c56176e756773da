// Pod container → CRI ContainerConfig, pure (the kubelet's generateContainerConfig and its helpers).
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import type { ContainerKind } from '../actions.js';
import type { ContainerConfig, Mount } from '../../cri/types.js';

export interface ContainerOptions {
  podIP?: string;
  podIPs?: string[];
  hostIP?: string;
  mounts?: Mount[];
  nodeName: string;
}

/** A container field that cannot be honoured; the executor reports it as CreateContainerConfigError. */
export class ContainerConfigError extends Error {
  override readonly name = 'ContainerConfigError';
}

export function generateContainerConfig(
  pod: V1Pod,
  container: V1Container,
  kind: ContainerKind,
  restartCount: number,
  opts: ContainerOptions,
): ContainerConfig {
  void pod;
  void kind;
  void opts;
  return { metadata: { name: container.name, attempt: restartCount }, image: { image: container.image ?? '' } };
}
