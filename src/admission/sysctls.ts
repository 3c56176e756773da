// The sysctl admit handler (pkg/kubelet/sysctl patternAllowlist.Admit): every pod sysctl must be on the node's allowlist, pure.
import type { V1Pod } from '@kubernetes/client-node';
import type { SysctlAllowlist } from '../podworker/translate/sysctls.js';
import { ADMIT, type AdmitResult } from './types.js';

/** sysctl.ForbiddenReason. */
export const SYSCTL_FORBIDDEN_REASON = 'SysctlForbidden';

/**
 * The first sysctl that is not allowlisted, or that belongs to a namespace the pod shares with
 * the host (a net sysctl with hostNetwork, an ipc one with hostIPC), rejects the pod: the kubelet
 * will not let one pod change a setting of the whole node.
 */
export function admitSysctls(pod: V1Pod, allowlist: SysctlAllowlist): AdmitResult {
  for (const s of pod.spec?.securityContext?.sysctls ?? []) {
    const why = allowlist.check(s.name, pod.spec?.hostNetwork === true, pod.spec?.hostIPC === true);
    if (why) return { admit: false, reason: SYSCTL_FORBIDDEN_REASON, message: `forbidden sysctl: ${why}` };
  }
  return ADMIT;
}
