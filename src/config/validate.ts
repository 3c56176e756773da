// Validation of a defaulted Pod as the API server's ValidatePodCreate does it, in one place; returns kubectl-style field errors.
//
// The parts live in validate-metadata / -containers / -probes / -resources / -volumes; this module
// holds the pod-level rules and the order. Run it on a pod that applyPodDefaults has seen: like
// the API server, it checks the defaulted object (an empty restartPolicy is then impossible).
import type { V1Pod, V1PodSpec } from '@kubernetes/client-node';
import { formatFieldError, invalid, notSupported, required, type FieldError } from './field-errors.js';
import { isDNS1123Label } from './names.js';
import { validateAllContainers, validateHostPortConflicts } from './validate-containers.js';
import { validatePodMetadata, type MetadataOptions } from './validate-metadata.js';
import { validateVolumes } from './validate-volumes.js';

export type { FieldError } from './field-errors.js';
export { formatFieldError } from './field-errors.js';

const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
const INT32_MAX = 2147483647;

/** validateHostNetwork: on the host network a port is the host's port, so they must agree. */
function validateHostNetwork(spec: V1PodSpec): FieldError[] {
  if (!spec.hostNetwork) return [];
  const errs: FieldError[] = [];
  spec.containers.forEach((c, i) => (c.ports ?? []).forEach((p, j) => {
    if (p.hostPort !== p.containerPort) {
      errs.push(invalid(`spec.containers[${i}].ports[${j}].hostPort`, p.hostPort ?? 0, 'must match `containerPort` when `hostNetwork` is true'));
    }
  }));
  return errs;
}

/** The scalar PodSpec fields (ValidatePodSpec). */
function validateSpecFields(spec: V1PodSpec): FieldError[] {
  const errs: FieldError[] = [];
  const rp = spec.restartPolicy;
  if (!rp) errs.push(required('spec.restartPolicy'));
  else if (!RESTART_POLICIES.includes(rp)) errs.push(notSupported('spec.restartPolicy', rp, RESTART_POLICIES));
  const dp = spec.dnsPolicy;
  if (!dp) errs.push(required('spec.dnsPolicy'));
  else if (!DNS_POLICIES.includes(dp)) errs.push(notSupported('spec.dnsPolicy', dp, DNS_POLICIES));
  else if (dp === 'None' && !spec.dnsConfig) errs.push(required('spec.dnsConfig', 'must provide `dnsConfig` when `dnsPolicy` is None'));
  const ads = spec.activeDeadlineSeconds;
  if (ads !== undefined && (ads < 1 || ads > INT32_MAX)) {
    errs.push(invalid('spec.activeDeadlineSeconds', ads, `must be between 1 and ${INT32_MAX}, inclusive`));
  }
  const tgps = spec.terminationGracePeriodSeconds;
  if (tgps !== undefined && tgps < 0) errs.push(invalid('spec.terminationGracePeriodSeconds', tgps, 'must be greater than or equal to 0'));
  for (const k of ['hostname', 'subdomain'] as const) {
    const v = spec[k];
    if (v) errs.push(...isDNS1123Label(v).map((m) => invalid(`spec.${k}`, v, m)));
  }
  return errs;
}

/** ValidatePodCreate (the parts a node can act on). [] means valid. */
export function validatePod(pod: V1Pod, opts: MetadataOptions = {}): FieldError[] {
  const errs = validatePodMetadata(pod.metadata, opts);
  const spec = pod.spec;
  if (!spec) return [...errs, required('spec')];
  const volumes = validateVolumes(spec.volumes ?? []);
  errs.push(...volumes.errors);
  errs.push(...validateAllContainers(spec.containers ?? [], spec.initContainers ?? [], volumes.names));
  errs.push(...validateSpecFields(spec));
  errs.push(...validateHostNetwork(spec));
  errs.push(...validateHostPortConflicts(spec.containers ?? []));
  return errs;
}

/** The same, as the strings kubectl would print. */
export function validatePodMessages(pod: V1Pod, opts: MetadataOptions = {}): string[] {
  return validatePod(pod, opts).map(formatFieldError);
}
