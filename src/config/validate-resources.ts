// Validation of a container's resources: names, quantities, and requests <= limits (validation.go ValidateResourceRequirements).
import type { V1ResourceRequirements } from '@kubernetes/client-node';
import { invalid, required, type FieldError } from './field-errors.js';
import { isQualifiedName } from './names.js';
import { parseQuantity, QUANTITY_FORMAT_MESSAGE } from './quantity.js';

const STANDARD_CONTAINER_RESOURCES = new Set(['cpu', 'memory', 'ephemeral-storage']);

const isHugePages = (name: string) => name.startsWith('hugepages-');

/** helper.IsNativeResource: no domain, or the kubernetes.io domain. */
const isNative = (name: string) => !name.includes('/') || name.includes('kubernetes.io/');

/** helper.IsOvercommitAllowed: native resources other than hugepages may have request < limit. */
const isOvercommitAllowed = (name: string) => isNative(name) && !isHugePages(name);

/** validateContainerResourceName. */
function validateResourceName(name: string, field: string): FieldError[] {
  const errs = isQualifiedName(name).map((m) => invalid(field, name, m));
  if (errs.length > 0) return errs;
  if (!name.includes('/')) {
    if (!STANDARD_CONTAINER_RESOURCES.has(name) && !isHugePages(name)) {
      errs.push(invalid(field, name, 'must be a standard resource for containers'));
    }
  } else if (!isNative(name) && name.startsWith('requests.')) {
    errs.push(invalid(field, name, "doesn't follow extended resource name standard"));
  }
  return errs;
}

/** Parses each quantity of a list, reporting the malformed and the negative ones (ValidateResourceQuantityValue). */
function parseList(list: Record<string, string> | undefined, field: string, errs: FieldError[]): Map<string, number> {
  const parsed = new Map<string, number>();
  for (const [name, q] of Object.entries(list ?? {})) {
    const path = `${field}[${name}]`;
    errs.push(...validateResourceName(name, path));
    let v: number;
    try {
      v = parseQuantity(q);
    } catch {
      errs.push(invalid(path, q, QUANTITY_FORMAT_MESSAGE));
      continue;
    }
    if (v < 0) errs.push(invalid(path, q, 'must be greater than or equal to 0'));
    else if (!isNative(name) && !Number.isInteger(v)) errs.push(invalid(path, q, 'must be an integer'));
    parsed.set(name, v);
  }
  return parsed;
}

export function validateResources(r: V1ResourceRequirements | undefined, field: string): FieldError[] {
  if (!r) return [];
  const errs: FieldError[] = [];
  const limits = parseList(r.limits, `${field}.limits`, errs);
  const requests = parseList(r.requests, `${field}.requests`, errs);
  for (const [name, req] of requests) {
    const path = `${field}.requests[${name}]`;
    const shown = String(r.requests![name]);
    const lim = limits.get(name);
    if (lim !== undefined) {
      const limShown = String(r.limits![name]);
      if (req !== lim && !isOvercommitAllowed(name)) {
        errs.push(invalid(path, shown, `must be equal to ${name} limit of ${limShown}`));
      } else if (req > lim) {
        errs.push(invalid(path, shown, `must be less than or equal to ${name} limit of ${limShown}`));
      }
    } else if (!isOvercommitAllowed(name) && !(r.limits && name in r.limits)) {
      errs.push(required(`${field}.limits`, 'Limit must be set for non overcommitable resources'));
    }
  }
  return errs;
}
