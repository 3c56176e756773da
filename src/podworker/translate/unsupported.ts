// Pod and container fields mini-kubelet cannot honour: each is refused with a precise ContainerConfigError, never dropped (pure).
//
// docs/pod-spec.md lists these beside what is honoured.
import type { V1AppArmorProfile, V1Container, V1Pod } from '@kubernetes/client-node';
import { isExtendedResourceName } from '../../admission/requests.js';
import { ContainerConfigError } from './errors.js';

/** Resources a container may ask for here: huge pages would need hugetlb limits we do not write. */
const NODE_RESOURCES = new Set(['cpu', 'memory', 'ephemeral-storage']);

/** The kubelet's AppArmor validator (apparmor.Validate / validateHost): only Unconfined runs where AppArmor is off. */
function checkAppArmor(profile: V1AppArmorProfile | undefined, where: string, appArmorEnabled: boolean): void {
  if (!profile || profile.type === 'Unconfined') return;
  if (!appArmorEnabled) {
    throw new ContainerConfigError(`Cannot enforce AppArmor: AppArmor is not enabled on the host (${where} appArmorProfile ${profile.type})`);
  }
}

/** Pod-level fields, checked before the sandbox is made. */
export function checkPodFields(pod: V1Pod, appArmorEnabled = false): void {
  const spec = pod.spec;
  const sc = spec?.securityContext;
  if (spec?.os?.name && spec.os.name !== 'linux') {
    throw new ContainerConfigError(`pod OS "${spec.os.name}" does not match the node's OS "linux" (PodOSNotSupported)`);
  }
  if (spec?.runtimeClassName) {
    throw new ContainerConfigError(
      `runtimeClassName "${spec.runtimeClassName}" is not supported: without an API server there is no RuntimeClass to resolve to a runtime handler`,
    );
  }
  if (spec?.hostUsers === false) throw new ContainerConfigError('hostUsers: false (user namespaces) is not supported by mini-kubelet');
  if (spec?.resourceClaims?.length) throw new ContainerConfigError('resourceClaims (dynamic resource allocation) are not supported by mini-kubelet');
  if (spec?.resources) throw new ContainerConfigError('pod-level resources (spec.resources) are not supported by mini-kubelet');
  if (sc?.supplementalGroupsPolicy === 'Strict') {
    throw new ContainerConfigError('supplementalGroupsPolicy Strict is not supported: the runtime always merges the image\'s groups');
  }
  checkAppArmor(sc?.appArmorProfile, 'pod', appArmorEnabled);
}

/** Container-level fields, checked when its config is generated. */
export function checkContainerFields(container: V1Container, appArmorEnabled = false): void {
  const name = container.name;
  const res = container.resources;
  for (const [kind, list] of [['limits', res?.limits], ['requests', res?.requests]] as const) {
    for (const r of Object.keys(list ?? {})) {
      // An extended resource (example.com/gpu) is the device manager's, and with no device plugin
      // registered for it the kubelet allocates nothing and runs the container: so do we.
      if (NODE_RESOURCES.has(r) || isExtendedResourceName(r)) continue;
      throw new ContainerConfigError(
        r.startsWith('hugepages-')
          ? `container ${name}: ${kind}.${r}: huge pages are not supported by mini-kubelet (it writes no hugetlb limits)`
          : `container ${name}: ${kind}.${r}: not a resource this node knows (cpu, memory, ephemeral-storage or a domain-qualified extended resource)`,
      );
    }
  }
  // An ephemeral-storage limit runs, as on the kubelet, and is not enforced: the kubelet enforces it
  // only by eviction, and its evictPod refuses a critical pod, which every static pod is.
  if (res?.claims?.length) throw new ContainerConfigError(`container ${name}: resources.claims (dynamic resource allocation) are not supported`);
  if (container.volumeDevices?.length) {
    throw new ContainerConfigError(`container ${name}: volumeDevices (raw block volumes) are not supported: there are no PersistentVolumeClaims in static mode`);
  }
  if (container.securityContext?.procMount === 'Unmasked') {
    throw new ContainerConfigError(
      `container ${name}: procMount Unmasked is not supported: it needs user namespaces (hostUsers: false), and an empty masked-path list reaches the runtime as "use your defaults"`,
    );
  }
  checkAppArmor(container.securityContext?.appArmorProfile, `container ${name}`, appArmorEnabled);
}
