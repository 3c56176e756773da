// The node API's informational endpoints beyond the shared ones: /runningpods/ (the runtime's pods), /spec/ (cAdvisor's MachineInfo) and /configz (the configuration in force).
import type { V1Pod } from '@kubernetes/client-node';
import { readFile } from 'node:fs/promises';
import type { MachineInfo } from '../../node/allocatable.js';
import type { ObservedPod } from '../../runtime/types.js';

/**
 * GetRunningPods: the runtime's pods with a running container or a ready sandbox, each as
 * kubecontainer.Pod.ToAPIPod gives it (name, namespace, UID, and its running containers' name and image).
 */
export function runningPods(observed: ObservedPod[]): V1Pod[] {
  const pods: V1Pod[] = [];
  for (const o of observed) {
    const running = o.containers.filter((c) => c.state === 'running');
    if (!running.length && !o.sandboxes.some((s) => s.state === 'ready')) continue;
    pods.push({
      metadata: { name: o.name, namespace: o.namespace, uid: o.uid },
      spec: { containers: running.map((c) => ({ name: c.name, image: c.image })) },
    });
  }
  return pods;
}

async function firstLine(file: string): Promise<string> {
  return (await readFile(file, 'utf8').catch(() => '')).split('\n')[0]!.trim();
}

/** cAdvisor's MachineInfo in its JSON names, from what the agent measures (src/node/allocatable.ts) and the host's ids. */
export async function machineSpec(info: MachineInfo, now = new Date()): Promise<Record<string, unknown>> {
  const [machineId, systemUuid, bootId] = await Promise.all([
    firstLine('/etc/machine-id'),
    firstLine('/sys/class/dmi/id/product_uuid'),
    firstLine('/proc/sys/kernel/random/boot_id'),
  ]);
  return {
    timestamp: now.toISOString(),
    num_cores: info.numCores,
    memory_capacity: info.memoryCapacity,
    hugepages: info.hugePages.map((h) => ({ page_size: h.pageSizeKiB, num_pages: h.numPages })),
    machine_id: machineId,
    system_uuid: systemUuid,
    boot_id: bootId,
  };
}
