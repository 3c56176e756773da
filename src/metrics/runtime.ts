// Runtime operation metrics: kubelet_runtime_operations_total, _errors_total and _duration_seconds by operation_type (kubelet: instrumentedRuntimeService).
import { Counter, exponentialBuckets, Histogram, type Registry } from 'prom-client';
import type { CriCallObserver } from '../cri/rpc.js';

/** The CRI RPC name → the operation_type the kubelet's instrumented_services.go records it under. */
export const OPERATION_TYPES: Readonly<Record<string, string>> = {
  Version: 'version',
  Status: 'status',
  RunPodSandbox: 'run_podsandbox',
  StopPodSandbox: 'stop_podsandbox',
  RemovePodSandbox: 'remove_podsandbox',
  PodSandboxStatus: 'podsandbox_status',
  ListPodSandbox: 'list_podsandbox',
  CreateContainer: 'create_container',
  StartContainer: 'start_container',
  StopContainer: 'stop_container',
  RemoveContainer: 'remove_container',
  ListContainers: 'list_containers',
  ContainerStatus: 'container_status',
  UpdateContainerResources: 'update_container',
  ReopenContainerLog: 'reopen_container_log',
  ExecSync: 'exec_sync',
  Exec: 'exec',
  Attach: 'attach',
  PortForward: 'port_forward',
  ContainerStats: 'container_stats',
  ListContainerStats: 'list_container_stats',
  PodSandboxStats: 'podsandbox_stats',
  ListPodSandboxStats: 'list_podsandbox_stats',
  UpdateRuntimeConfig: 'update_runtime_config',
  ListImages: 'list_images',
  ImageStatus: 'image_status',
  PullImage: 'pull_image',
  RemoveImage: 'remove_image',
  ImageFsInfo: 'image_fs_info',
};

/** The operation_type for an RPC; one the kubelet does not instrument gets its name in snake case. */
export function operationType(method: string): string {
  return OPERATION_TYPES[method] ?? method.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

/** Registers the three metrics; returns the observer for the CRI client (CriClientOptions.observer). */
export function registerRuntimeMetrics(registry: Registry): CriCallObserver {
  const registers = [registry];
  const labelNames = ['operation_type'] as const;
  const operations = new Counter({
    name: 'kubelet_runtime_operations_total',
    help: 'Cumulative number of runtime operations by operation type.',
    labelNames,
    registers,
  });
  const errors = new Counter({
    name: 'kubelet_runtime_operations_errors_total',
    help: 'Cumulative number of runtime operation errors by operation type.',
    labelNames,
    registers,
  });
  const duration = new Histogram({
    name: 'kubelet_runtime_operations_duration_seconds',
    help: 'Duration in seconds of runtime operations. Broken down by operation type.',
    // The kubelet's: ExponentialBuckets(.005, 2.5, 14), 5 ms to about 12 minutes.
    buckets: exponentialBuckets(0.005, 2.5, 14),
    labelNames,
    registers,
  });
  // One label object per RPC, made once: a call then costs a map lookup and two or three updates.
  const labels = new Map<string, { operation_type: string }>();
  return (method, durationMs, failed) => {
    let l = labels.get(method);
    if (!l) labels.set(method, (l = { operation_type: operationType(method) }));
    operations.inc(l);
    duration.observe(l, durationMs / 1000);
    if (failed) errors.inc(l);
  };
}
