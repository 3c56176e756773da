// kubelet_pod_worker_duration_seconds: how long a pod worker's unit of work took, by operation_type (kubelet: PodWorkerDuration).
import { Histogram, type Registry } from 'prom-client';
import type { PodWorkersOptions } from '../podworker/workers.js';
import { DEF_BUCKETS } from './pleg.js';

/** Registers the histogram; returns the observer for PodWorkers (PodWorkersOptions.workObserver). */
export function registerPodWorkerMetrics(registry: Registry): NonNullable<PodWorkersOptions['workObserver']> {
  const duration = new Histogram({
    name: 'kubelet_pod_worker_duration_seconds',
    help: 'Duration in seconds to sync a single pod. Broken down by operation type: create, update, or sync',
    buckets: DEF_BUCKETS,
    labelNames: ['operation_type'],
    registers: [registry],
  });
  // Five label values at most, each object made once.
  const labels = new Map<string, { operation_type: string }>();
  return (operationType, durationMs) => {
    let l = labels.get(operationType);
    if (!l) labels.set(operationType, (l = { operation_type: operationType }));
    duration.observe(l, durationMs / 1000);
  };
}
