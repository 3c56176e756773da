// The volume code's error: FailedMount when a volume cannot be set up, CreateContainerConfigError when a mount cannot be made.

/** A volume or mount that cannot be set up as written; the message is shown on the pod as is. */
export class VolumeError extends Error {
  override readonly name = 'VolumeError';
}
