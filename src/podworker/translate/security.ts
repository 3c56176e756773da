// Linux namespaces and security contexts for sandboxes and containers (kubelet: NamespacesForPod, determineEffectiveSecurityContext).
import type { V1Container, V1Pod, V1SeccompProfile, V1SecurityContext } from '@kubernetes/client-node';
import path from 'node:path';
import type {
  LinuxContainerSecurityContext, LinuxSandboxSecurityContext, NamespaceOption, SecurityProfile,
} from '../../cri/types.js';
import { ContainerConfigError } from './errors.js';

/** securitycontext defaults: what /proc and /sys paths a non-privileged container must not see or write. */
export const DEFAULT_MASKED_PATHS = [
  '/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap',
];
export const DEFAULT_READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];
export const DEFAULT_SECCOMP_PROFILE_ROOT = '/var/lib/kubelet/seccomp';

/** NamespacesForPod: network and IPC per hostNetwork/hostIPC; PID per hostPID, shareProcessNamespace, else per container. */
export function namespacesForPod(pod: V1Pod): NamespaceOption {
  const s = pod.spec;
  return {
    network: s?.hostNetwork ? 'NODE' : 'POD',
    pid: s?.hostPID ? 'NODE' : s?.shareProcessNamespace ? 'POD' : 'CONTAINER',
    ipc: s?.hostIPC ? 'NODE' : 'POD',
  };
}

/** fsGroup first, then supplementalGroups, as the kubelet appends them. */
function podGroups(pod: V1Pod): number[] | undefined {
  const sc = pod.spec?.securityContext;
  const groups = [...(sc?.fsGroup !== undefined && sc.fsGroup !== null ? [sc.fsGroup] : []), ...(sc?.supplementalGroups ?? [])];
  return groups.length ? groups : undefined;
}

/** generatePodSandboxLinuxConfig's security context. The sandbox (pause) always runs RuntimeDefault seccomp. */
export function sandboxSecurityContext(pod: V1Pod): LinuxSandboxSecurityContext {
  const sc = pod.spec?.securityContext;
  const all = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  const out: LinuxSandboxSecurityContext = {
    namespaceOptions: namespacesForPod(pod),
    privileged: all.some((c) => c.securityContext?.privileged === true),
    seccomp: { profileType: 'RuntimeDefault' },
  };
  if (typeof sc?.runAsUser === 'number') out.runAsUser = { value: sc.runAsUser };
  if (typeof sc?.runAsGroup === 'number') out.runAsGroup = { value: sc.runAsGroup };
  const groups = podGroups(pod);
  if (groups) out.supplementalGroups = groups;
  return out;
}

/** DetermineEffectiveSecurityContext: the pod's user settings, overridden field by field by the container's. */
export function effectiveSecurityContext(pod: V1Pod, container: V1Container): V1SecurityContext {
  const p = pod.spec?.securityContext ?? {};
  const fromPod: V1SecurityContext = {
    runAsUser: p.runAsUser, runAsGroup: p.runAsGroup, runAsNonRoot: p.runAsNonRoot, seLinuxOptions: p.seLinuxOptions,
  };
  const c = container.securityContext ?? {};
  const picked = Object.entries(c).filter(([, v]) => v !== undefined && v !== null);
  return { ...fromPod, ...Object.fromEntries(picked) } as V1SecurityContext;
}

/** fieldSeccompProfile: RuntimeDefault, Unconfined, or a Localhost profile under the seccomp root. */
function seccompFrom(p: V1SeccompProfile, root: string): SecurityProfile {
  if (p.type === 'RuntimeDefault') return { profileType: 'RuntimeDefault' };
  if (p.type === 'Localhost') {
    if (!p.localhostProfile) throw new ContainerConfigError('localhostProfile must be set if seccompProfile type is Localhost.');
    // filepath.Join cleans the path; API validation keeps it below the root, and so do we.
    const ref = path.posix.join(root, p.localhostProfile);
    if (!ref.startsWith(path.posix.join(root, '/'))) {
      throw new ContainerConfigError(`localhostProfile "${p.localhostProfile}" must be a path below the seccomp profile root ${root}`);
    }
    return { profileType: 'Localhost', localhostRef: ref };
  }
  return { profileType: 'Unconfined' };
}

/** getSeccompProfile: the container's profile, else the pod's, else Unconfined (SeccompDefault is off by default). */
export function seccompProfile(pod: V1Pod, container: V1Container, root = DEFAULT_SECCOMP_PROFILE_ROOT): SecurityProfile {
  const p = container.securityContext?.seccompProfile ?? pod.spec?.securityContext?.seccompProfile;
  return p ? seccompFrom(p, root) : { profileType: 'Unconfined' };
}

/** The Linux capabilities (linux/capability.h), named as the API names them: without the CAP_ prefix. */
export const LINUX_CAPABILITIES: ReadonlySet<string> = new Set([
  'CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID', 'SETPCAP',
  'LINUX_IMMUTABLE', 'NET_BIND_SERVICE', 'NET_BROADCAST', 'NET_ADMIN', 'NET_RAW', 'IPC_LOCK', 'IPC_OWNER',
  'SYS_MODULE', 'SYS_RAWIO', 'SYS_CHROOT', 'SYS_PTRACE', 'SYS_PACCT', 'SYS_ADMIN', 'SYS_BOOT', 'SYS_NICE',
  'SYS_RESOURCE', 'SYS_TIME', 'SYS_TTY_CONFIG', 'MKNOD', 'LEASE', 'AUDIT_WRITE', 'AUDIT_CONTROL', 'SETFCAP',
  'MAC_OVERRIDE', 'MAC_ADMIN', 'SYSLOG', 'WAKE_ALARM', 'BLOCK_SUSPEND', 'AUDIT_READ', 'PERFMON', 'BPF',
  'CHECKPOINT_RESTORE',
]);

/**
 * convertToRuntimeCapabilities passes the names as written; the runtime prefixes CAP_ and
 * uppercases them (containerd), and runc quietly skips a name it does not know. So a name that is
 * not a capability, or one already written as CAP_X (it would become CAP_CAP_X), is refused here.
 */
export function checkCapability(containerName: string, cap: string): string {
  const up = cap.toUpperCase();
  if (up === 'ALL' || LINUX_CAPABILITIES.has(up)) return cap;
  const hint = up.startsWith('CAP_') && LINUX_CAPABILITIES.has(up.slice(4)) ? ` (write it without the CAP_ prefix: ${up.slice(4)})` : '';
  throw new ContainerConfigError(`container ${containerName}: unknown capability "${cap}"${hint}`);
}

/**
 * determineEffectiveSecurityContext + convertToRuntimeSecurityContext. runAsNonRoot is not
 * enforced here: it needs the image's user, which the executor checks.
 */
export function containerSecurityContext(pod: V1Pod, container: V1Container, seccompRoot?: string): LinuxContainerSecurityContext {
  const eff = effectiveSecurityContext(pod, container);
  const out: LinuxContainerSecurityContext = {
    namespaceOptions: namespacesForPod(pod),
    privileged: eff.privileged === true,
    readonlyRootfs: eff.readOnlyRootFilesystem === true,
    // AddNoNewPrivileges: only an explicit allowPrivilegeEscalation=false sets no_new_privs.
    noNewPrivs: eff.allowPrivilegeEscalation === false,
    seccomp: seccompProfile(pod, container, seccompRoot),
    // An Unmasked procMount opts out of the masks; every other container gets the defaults.
    maskedPaths: eff.procMount === 'Unmasked' ? [] : [...DEFAULT_MASKED_PATHS],
    readonlyPaths: eff.procMount === 'Unmasked' ? [] : [...DEFAULT_READONLY_PATHS],
  };
  if (eff.capabilities) {
    out.capabilities = {
      addCapabilities: (eff.capabilities.add ?? []).map((c) => checkCapability(container.name, c)),
      dropCapabilities: (eff.capabilities.drop ?? []).map((c) => checkCapability(container.name, c)),
    };
  }
  if (typeof eff.runAsUser === 'number') out.runAsUser = { value: eff.runAsUser };
  if (typeof eff.runAsGroup === 'number') out.runAsGroup = { value: eff.runAsGroup };
  const groups = podGroups(pod);
  if (groups) out.supplementalGroups = groups;
  return out;
}
