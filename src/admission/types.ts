// The shapes of pod admission: a handler's verdict (the kubelet's PodAdmitResult) and what it knows of the node.
import type { V1Pod } from '@kubernetes/client-node';
import type { SysctlAllowlist } from '../podworker/translate/sysctls.js';
import type { InsufficientResource } from './resources.js';

/** lifecycle.PodAdmitResult: admitted, or not with a one-word reason and a message. */
export type AdmitResult = { admit: true } | { admit: false; reason: string; message: string };

export const ADMIT: AdmitResult = { admit: true };

/** lifecycle.PredicateFailureError: a scheduler filter's name (NodeAffinity, NodeName, NodePorts) and why it failed. */
export interface PredicateFailureError {
  predicateName: string;
  predicateDesc: string;
}

/** lifecycle.PredicateFailureReason: what generalFilter reports, a predicate failure or an InsufficientResourceError. */
export type PredicateFailureReason = PredicateFailureError | InsufficientResource;

/**
 * framework.Resource of the node's allocatable, as NodeInfo.Allocatable: millicores, bytes, pods,
 * and every other resource the node lists (hugepages-<size>, extended resources) by name.
 */
export interface AllocatableResource {
  milliCPU: number;
  memory: number;
  ephemeralStorage: number;
  /** --max-pods. */
  pods: number;
  /** ScalarResources: hugepages-2Mi, hugepages-1Gi, ... in bytes; extended resources as counts. */
  scalarResources: Readonly<Record<string, number>>;
}

/** What the node offers, as the kubelet's Node object and NodeInfo give it to the admit handlers. */
export interface AdmissionNode {
  name: string;
  /** The node's labels, for nodeSelector and node affinity. */
  labels: Readonly<Record<string, string>>;
  /** Node allocatable (src/node/allocatable.ts): capacity minus the default hard-eviction thresholds. */
  allocatable: AllocatableResource;
  /** The safe sysctls plus --allowed-unsafe-sysctls. */
  sysctls: SysctlAllowlist;
}

/**
 * lifecycle.PodAdmitHandler.Admit: `pod` against the pods already admitted and still active
 * (`others`, never `pod` itself).
 */
export type AdmitHandler = (pod: V1Pod, others: readonly V1Pod[], node: AdmissionNode) => AdmitResult;
