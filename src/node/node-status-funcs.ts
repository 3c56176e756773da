// The agent's node status setters in the kubelet's order (defaultNodeStatusFuncs), fed from the runtime, the machine and the flags.
import type { V1Node } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Image } from '../cri/types.js';
import { pressureCondition, readyCondition, schedulableEvent } from './node-conditions.js';
import {
  daemonEndpoints, goRuntime, images, machineInfo, NODE_STATUS_MAX_IMAGES, nodeAddress, versionInfo,
  type MachineInfoInputs, type NodeEventFunc, type Setter,
} from './node-status.js';
import type { RuntimeState } from './runtime-state.js';
import type { SystemInfo } from './system-info.js';

export interface NodeStatusInputs {
  nodeName: string;
  nodeIP: string;
  /** --port, advertised in daemonEndpoints. */
  port: number;
  system: SystemInfo;
  resources: MachineInfoInputs['resources'];
  /** The runtime's name from the first CRI Version ("containerd"), for "<name>://Unknown" while it does not answer. */
  runtimeName: string;
  runtime: RuntimeState;
  /** CRI ListImages. */
  listImages: () => Promise<Image[]>;
  appArmorEnabled: boolean;
  now: () => number;
  recordEvent: NodeEventFunc;
  logger: Logger;
}

/**
 * kubelet setNodeStatus over defaultNodeStatusFuncs. The pressure conditions have no eviction
 * manager behind them: mini-kubelet evicts nothing, so it never reports pressure (a node that
 * reported pressure would be tainted for pressure the agent does nothing about).
 */
export function nodeStatusFuncs(i: NodeStatusInputs): (node: V1Node) => Promise<void> {
  const recordStatusEvent = (type: 'Normal' | 'Warning', event: string) =>
    i.recordEvent(type, event, `Node ${i.nodeName} status is now: ${event}`);
  let imageList: readonly Image[] | Error = [];
  const noPressure = () => false;
  const setters: [string, Setter][] = [
    ['NodeAddress', nodeAddress(i.nodeIP, i.nodeName)],
    ['MachineInfo', machineInfo({ nodeName: i.nodeName, resources: i.resources, system: i.system, recordEvent: i.recordEvent })],
    ['VersionInfo', versionInfo(i.system, i.runtimeName, () => i.runtime.runtimeVersion())],
    ['DaemonEndpoints', daemonEndpoints(i.port)],
    ['Images', images(NODE_STATUS_MAX_IMAGES, () => imageList)],
    ['GoRuntime', goRuntime()],
    ['MemoryPressureCondition', pressureCondition('MemoryPressure', { now: i.now, underPressure: noPressure, recordEvent: recordStatusEvent })],
    ['DiskPressureCondition', pressureCondition('DiskPressure', { now: i.now, underPressure: noPressure, recordEvent: recordStatusEvent })],
    ['PIDPressureCondition', pressureCondition('PIDPressure', { now: i.now, underPressure: noPressure, recordEvent: recordStatusEvent })],
    ['ReadyCondition', readyCondition({
      now: i.now,
      errors: () => [...i.runtime.runtimeErrors(), ...i.runtime.networkErrors()],
      appArmorEnabled: i.appArmorEnabled,
      recordEvent: recordStatusEvent,
    })],
    ['NodeSchedulable', schedulableEvent(recordStatusEvent)],
  ];
  return async (node) => {
    imageList = await i.listImages().catch((err: Error) => err);
    for (const [name, set] of setters) {
      const err = set(node);
      if (err) i.logger.error({ node: i.nodeName, setter: name, err }, 'Failed to set some node status fields');
    }
  };
}
