// The volume code's error: FailedMount when a volume cannot be set up, CreateContainerConfigError when a mount cannot be made.
import type { V1Volume } from '@kubernetes/client-node';

/** A volume or mount that cannot be set up as written; the message is shown on the pod as is. */
export class VolumeError extends Error {
  override readonly name = 'VolumeError';
}

function kindOf(v: V1Volume): string {
  return Object.keys(v).find((k) => k !== 'name' && (v as unknown as Record<string, unknown>)[k] != null) ?? '(none)';
}

/** A volume kind mini-kubelet cannot serve, with the reason. */
export function unsupportedVolume(v: V1Volume): VolumeError {
  const kind = kindOf(v);
  const why = kind === 'configMap' || kind === 'secret'
    ? 'a static pod has no API server to read it from'
    : kind === 'persistentVolumeClaim' ? 'a static pod has no API server to bind the claim' : 'mini-kubelet has no plugin for it';
  return new VolumeError(`${kind} volumes are not supported: ${why}`);
}
