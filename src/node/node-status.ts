// The Node status setters of pkg/kubelet/nodestatus/setters.go that are not conditions: addresses, capacity and allocatable, nodeInfo, daemon endpoints, images. Pure.
//
// Each setter fills its part of a Node in place, from inputs read beforehand (the machine, the
// runtime's version and images), and returns an error message when it could not (the kubelet
// logs it and goes on with the other setters).
import type { V1ContainerImage, V1Node } from '@kubernetes/client-node';
import { goArch } from '../admission/node-affinity.js';
import { isExtendedResourceName, isHugePageResourceName } from '../admission/requests.js';
import type { Image } from '../cri/types.js';
import { binarySI } from './allocatable.js';
import { KUBELET_VERSION, type SystemInfo } from './system-info.js';

/** Fills part of the Node; returns why it could not, if it could not. */
export type Setter = (node: V1Node) => string | undefined;

/** Records an event about the Node (kubelet: recordEvent). */
export type NodeEventFunc = (type: 'Normal' | 'Warning', reason: string, message: string) => void;

/** kubelet nodeStatusMaxImages default. */
export const NODE_STATUS_MAX_IMAGES = 50;
/** MaxNamesPerImageInNodeStatus. */
export const MAX_NAMES_PER_IMAGE = 5;

const status = (node: V1Node) => (node.status ??= {});

/** NodeAddress, with no cloud provider: the node IP as InternalIP, then the host name. */
export function nodeAddress(nodeIP: string, hostname: string): Setter {
  return (node) => {
    status(node).addresses = [
      { type: 'InternalIP', address: nodeIP },
      { type: 'Hostname', address: hostname },
    ];
    return undefined;
  };
}

/**
 * A quantity as the kubelet writes it: memory, storage and huge pages come from cAdvisor as
 * BinarySI quantities ("24605344Ki"), cpu and pods as plain DecimalSI counts.
 */
function wireQuantity(name: string, value: string): string {
  const bytes = name === 'memory' || name === 'ephemeral-storage' || isHugePageResourceName(name);
  return bytes && /^\d+$/.test(value) ? binarySI(Number(value)) : value;
}

function wire(list: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(list).map(([k, v]) => [k, wireQuantity(k, v)]));
}

export interface MachineInfoInputs {
  nodeName: string;
  /** Capacity and allocatable as src/node/allocatable.ts computes them. */
  resources: { capacity: Readonly<Record<string, string>>; allocatable: Readonly<Record<string, string>> };
  system: SystemInfo;
  recordEvent: NodeEventFunc;
}

/**
 * MachineInfo: our capacity over what the Node has (resources others advertise stay), allocatable
 * for each capacity entry (ours, or the capacity itself for one we do not reserve from), extended
 * resources gone from capacity removed from allocatable; machine ID, system UUID, and the boot ID,
 * with a Rebooted event when it changed.
 */
export function machineInfo(m: MachineInfoInputs): Setter {
  const ours = { capacity: wire(m.resources.capacity), allocatable: wire(m.resources.allocatable) };
  return (node) => {
    const s = status(node);
    const info = (s.nodeInfo ??= {} as NonNullable<typeof s.nodeInfo>);
    info.machineID = m.system.machineID;
    info.systemUUID = m.system.systemUUID;
    if (info.bootID && info.bootID !== m.system.bootID) {
      m.recordEvent('Warning', 'Rebooted', `Node ${m.nodeName} has been rebooted, boot id: ${m.system.bootID}`);
    }
    info.bootID = m.system.bootID;
    const capacity = { ...s.capacity, ...ours.capacity };
    const allocatable: Record<string, string> = {};
    for (const [k, v] of Object.entries(s.allocatable ?? {})) {
      if (k in capacity || !isExtendedResourceName(k)) allocatable[k] = v;
    }
    for (const [k, v] of Object.entries(capacity)) allocatable[k] = ours.allocatable[k] ?? v;
    s.capacity = capacity;
    s.allocatable = allocatable;
    return undefined;
  };
}

/** What the runtime said in its CRI Version answer. */
export interface RuntimeVersion {
  runtimeName: string;
  runtimeVersion: string;
}

/**
 * VersionInfo: kernel, OS image, `<runtime>://<version>` from CRI Version ("Unknown" when the
 * last call failed), and our kubelet version, which the kubelet also reports as kube-proxy's.
 */
export function versionInfo(system: SystemInfo, runtimeName: string, runtimeVersion: () => RuntimeVersion | undefined): Setter {
  return (node) => {
    const s = status(node);
    const info = (s.nodeInfo ??= {} as NonNullable<typeof s.nodeInfo>);
    info.kernelVersion = system.kernelVersion;
    info.osImage = system.osImage;
    const v = runtimeVersion();
    info.containerRuntimeVersion = `${v?.runtimeName || runtimeName}://${v?.runtimeVersion || 'Unknown'}`;
    info.kubeletVersion = KUBELET_VERSION;
    info.kubeProxyVersion = KUBELET_VERSION;
    return undefined;
  };
}

/** DaemonEndpoints: the kubelet port (--port) the API server reaches the node at. */
export function daemonEndpoints(port: number): Setter {
  return (node) => {
    status(node).daemonEndpoints = { kubeletEndpoint: { Port: port } };
    return undefined;
  };
}

/**
 * Images: the largest `max` images (the kubelet's image list is sorted by size, largest first),
 * each with up to 5 names, digests first. When the runtime could not list them, no images.
 */
export function images(max: number, list: () => readonly Image[] | Error): Setter {
  return (node) => {
    const got = list();
    if (got instanceof Error) {
      status(node).images = [];
      return `error getting image list: ${got.message}`;
    }
    const sorted = [...got].sort((a, b) => b.size - a.size);
    const kept = max > -1 && max < sorted.length ? sorted.slice(0, max) : sorted;
    status(node).images = kept.map((img): V1ContainerImage => ({
      names: [...img.repoDigests, ...img.repoTags].slice(0, MAX_NAMES_PER_IMAGE),
      sizeBytes: img.size,
    }));
    return undefined;
  };
}

/** GoRuntime: the OS and architecture the agent runs on, as GOOS and GOARCH name them. */
export function goRuntime(): Setter {
  return (node) => {
    const s = status(node);
    const info = (s.nodeInfo ??= {} as NonNullable<typeof s.nodeInfo>);
    info.operatingSystem = process.platform;
    info.architecture = goArch();
    return undefined;
  };
}
