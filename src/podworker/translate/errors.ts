// Errors for a Pod that cannot be translated as written (CreateContainerConfigError, CreatePodSandboxConfigError).

/** A container field that cannot be honoured; the executor reports it as CreateContainerConfigError. */
export class ContainerConfigError extends Error {
  override readonly name = 'ContainerConfigError';
}

/** A pod whose sandbox cannot be configured as asked (the kubelet's CreatePodSandboxConfigError). */
export class SandboxConfigError extends Error {
  override readonly name = 'SandboxConfigError';
}
