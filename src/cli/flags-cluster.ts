// The agent's cluster-mode flags (--kubeconfig and the Node's), named and defaulted as the kubelet's.
import { Option, type Command } from 'commander';
import type { V1Taint } from '@kubernetes/client-node';
import { validateNodeLabels } from '../node/labels.js';
import { bool, duration, nonNegativeInt as nonNegative, port, positiveInt as positive, signedInt } from './flag-values.js';

export interface ClusterRunOptions {
  /** --kubeconfig: its presence turns cluster mode on. */
  kubeconfig?: string;
  nodeLabels: Record<string, string>;
  registerNode: boolean;
  registerWithTaints: V1Taint[];
  nodeStatusUpdateFrequency: number;
  nodeStatusReportFrequency: number;
  nodeLeaseDurationSeconds: number;
  kubeApiQps: number;
  kubeApiBurst: number;
  eventQps: number;
  eventBurst: number;
  /** --port: the node API's port, advertised in node.status.daemonEndpoints.kubeletEndpoint. */
  port: number;
}

const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

/** kubelet ParseTaints: "key=value:Effect" or "key:Effect", comma-separated. */
export function parseTaints(v: string, previous: V1Taint[] = []): V1Taint[] {
  const taints = [...previous];
  for (const spec of v.split(',').map((s) => s.trim()).filter(Boolean)) {
    const colon = spec.lastIndexOf(':');
    if (colon < 0) throw new Error(`invalid taint spec: ${spec}`);
    const [kv, effect] = [spec.slice(0, colon), spec.slice(colon + 1)];
    if (!TAINT_EFFECTS.includes(effect)) throw new Error(`invalid taint effect: ${effect}, unsupported taint effect`);
    const eq = kv.indexOf('=');
    const key = eq < 0 ? kv : kv.slice(0, eq);
    const value = eq < 0 ? undefined : kv.slice(eq + 1);
    if (!key) throw new Error(`invalid taint spec: ${spec}`);
    if (taints.some((t) => t.key === key && t.effect === effect)) throw new Error(`duplicated taints with the same key and effect: ${key}:${effect}`);
    taints.push({ key, ...(value !== undefined ? { value } : {}), effect });
  }
  return taints;
}

/**
 * --node-labels: "key=value,key2=value2" (mapStringString); repeated flags add up. Checked as the
 * kubelet's ValidateKubeletFlags checks them (src/node/labels.ts).
 */
export function parseLabels(v: string, previous: Record<string, string> = {}): Record<string, string> {
  const labels = { ...previous };
  for (const pair of v.split(',').map((s) => s.trim()).filter(Boolean)) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`malformed pair, expect string=string: ${pair}`);
    labels[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  const invalid = validateNodeLabels(labels);
  if (invalid) throw new Error(invalid);
  return labels;
}


export function addClusterOptions(program: Command): Command {
  return program
    .option('--kubeconfig <file>', 'join the cluster this kubeconfig points at (the node\'s credentials): register the Node, renew its Lease, run the pods bound to it and report their status; without it, static pods only')
    .addOption(new Option('--node-labels <pairs>', 'labels to add when registering the Node, as key=value pairs separated by commas (kubernetes.io and k8s.io labels only from the kubelet\'s allowed set)').argParser(parseLabels).default({}, 'none'))
    .option('--register-node <bool>', 'register the Node with the API server (false: the Node must exist, its status is still updated)', bool, true)
    .addOption(new Option('--register-with-taints <taints>', 'taints the Node is registered with, as key=value:Effect separated by commas (Effect: NoSchedule, PreferNoSchedule, NoExecute)').argParser(parseTaints).default([], 'none'))
    .addOption(duration('--node-status-update-frequency <duration>', 'how often the node status is computed, and written if it changed', '10s'))
    .addOption(duration('--node-status-report-frequency <duration>', 'the node status is written at least this often even when nothing changed', '5m'))
    .option('--node-lease-duration-seconds <n>', 'the Lease\'s duration; it is renewed every quarter of it', positive, 40)
    .option('--kube-api-qps <n>', 'requests per second to the API server (0 or less: no limit; the Node status and Lease are never limited)', signedInt, 50)
    .option('--kube-api-burst <n>', 'requests that may go at once above --kube-api-qps', positive, 100)
    .option('--event-qps <n>', 'events written to the API server per second (0: 5); they do not count against --kube-api-qps', nonNegative, 50)
    .option('--event-burst <n>', 'events that may be written at once above --event-qps (0: 10)', nonNegative, 100)
    .option('--port <port>', 'the node API\'s HTTPS port (logs, exec, attach, port-forward, stats), advertised in the Node\'s daemonEndpoints', port, 10250);
}
