// Cgroup names for the QoS hierarchy and per-pod cgroups, as the kubelet's cgroupfs driver spells them (pure).
//
// With --cgroups-per-qos (the default) the kubelet puts every pod under a "kubepods" cgroup below
// --cgroup-root: Guaranteed pods directly, Burstable and BestEffort pods under a cgroup per class
// (cm/qos_container_manager_linux.go, cm/pod_container_manager_linux.go):
//   /kubepods/pod<uid>   /kubepods/burstable/pod<uid>   /kubepods/besteffort/pod<uid>
import type { QOSClass } from '../status/qos.js';

/** The kubelet's CgroupName: path components below the hierarchy root ([] is the root itself). */
export type CgroupName = readonly string[];

/** defaultNodeAllocatableCgroupName */
export const KUBEPODS = 'kubepods';
const PODCGROUP_PREFIX = 'pod';

/** ParseCgroupfsToCgroupName: "/a/b" → ["a", "b"]; "/" → []. */
export function parseCgroupfs(path: string): CgroupName {
  return path.split('/').filter((c) => c !== '');
}

/** CgroupName.ToCgroupfs: ["a", "b"] → "/a/b"; [] → "/". */
export function toCgroupfs(name: CgroupName): string {
  return `/${name.join('/')}`;
}

/** The node-allocatable cgroup every pod lives under: <cgroupRoot>/kubepods. */
export function kubepodsCgroup(cgroupRoot: string): CgroupName {
  return [...parseCgroupfs(cgroupRoot), KUBEPODS];
}

/** The QoS cgroup of a class (qosContainerManagerImpl.Start): Guaranteed pods have none of their own. */
export function qosCgroup(cgroupRoot: string, qos: QOSClass): CgroupName {
  const kubepods = kubepodsCgroup(cgroupRoot);
  if (qos === 'Burstable') return [...kubepods, 'burstable'];
  if (qos === 'BestEffort') return [...kubepods, 'besteffort'];
  return kubepods;
}

/** Every cgroup of the QoS hierarchy, parents first (what the kubelet creates at start-up). */
export function qosHierarchy(cgroupRoot: string): CgroupName[] {
  return [kubepodsCgroup(cgroupRoot), qosCgroup(cgroupRoot, 'Burstable'), qosCgroup(cgroupRoot, 'BestEffort')];
}

/** podContainerManagerImpl.GetPodContainerName: the QoS cgroup plus "pod<uid>". */
export function podCgroup(cgroupRoot: string, qos: QOSClass, uid: string): CgroupName {
  return [...qosCgroup(cgroupRoot, qos), `${PODCGROUP_PREFIX}${uid}`];
}

/** The pod cgroup as a cgroupfs path, what the sandbox's linux.cgroupParent carries. */
export function podCgroupParent(cgroupRoot: string, qos: QOSClass, uid: string): string {
  return toCgroupfs(podCgroup(cgroupRoot, qos, uid));
}
