// Validation of a Pod's metadata: name, namespace, labels, annotations (validation.go ValidateObjectMeta and friends).
import type { V1ObjectMeta } from '@kubernetes/client-node';
import { invalid, required, tooLong, type FieldError } from './field-errors.js';
import { DNS1123_SUBDOMAIN_MAX, isDNS1123Label, isDNS1123Subdomain, isQualifiedName, isValidLabelValue, maxLenError } from './names.js';

/** apimachinery TotalAnnotationSizeLimitB: keys plus values, 256 KiB. */
const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

export interface MetadataOptions {
  /**
   * Appended to the name once the pod is accepted (static pods get "-<nodeName>"): the name is
   * checked as written, and then again for length with the suffix.
   */
  nameSuffix?: string;
}

/** ValidateLabels: keys are qualified names, values label values. */
export function validateLabels(labels: Record<string, string> | undefined, field: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    for (const msg of isQualifiedName(k)) errs.push(invalid(field, k, msg));
    for (const msg of isValidLabelValue(v)) errs.push(invalid(field, v, msg));
  }
  return errs;
}

/** ValidateAnnotations: keys are qualified names (checked lowercased), total size bounded. */
export function validateAnnotations(annotations: Record<string, string> | undefined, field: string): FieldError[] {
  const errs: FieldError[] = [];
  let size = 0;
  for (const [k, v] of Object.entries(annotations ?? {})) {
    for (const msg of isQualifiedName(k.toLowerCase())) errs.push(invalid(field, k, msg));
    size += Buffer.byteLength(k) + Buffer.byteLength(v);
  }
  if (size > TOTAL_ANNOTATION_SIZE_LIMIT) errs.push(tooLong(field, `must have at most ${TOTAL_ANNOTATION_SIZE_LIMIT} bytes`));
  return errs;
}

/** ValidateObjectMeta with ValidatePodName (a DNS-1123 subdomain) and a namespace that is a DNS-1123 label. */
export function validatePodMetadata(meta: V1ObjectMeta | undefined, opts: MetadataOptions = {}): FieldError[] {
  const errs: FieldError[] = [];
  const name = meta?.name ?? '';
  if (name === '') {
    errs.push(required('metadata.name', 'name or generateName is required'));
  } else {
    const nameErrs = isDNS1123Subdomain(name);
    for (const msg of nameErrs) errs.push(invalid('metadata.name', name, msg));
    const full = name + (opts.nameSuffix ?? '');
    if (nameErrs.length === 0 && full.length > DNS1123_SUBDOMAIN_MAX) {
      errs.push(invalid('metadata.name', name, `${maxLenError(DNS1123_SUBDOMAIN_MAX)} with the node suffix "${opts.nameSuffix}" (${full.length})`));
    }
  }
  const ns = meta?.namespace;
  if (ns !== undefined && ns !== '') for (const msg of isDNS1123Label(ns)) errs.push(invalid('metadata.namespace', ns, msg));
  errs.push(...validateLabels(meta?.labels, 'metadata.labels'));
  errs.push(...validateAnnotations(meta?.annotations, 'metadata.annotations'));
  return errs;
}
