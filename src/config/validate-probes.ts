// Validation of probes and lifecycle handlers (validation.go validateProbe, validateHandler and friends).
import type { V1HTTPGetAction, V1LifecycleHandler, V1Probe } from '@kubernetes/client-node';
import { forbidden, invalid, notSupported, required, type FieldError } from './field-errors.js';
import { isValidPortName, isValidPortNum } from './names.js';

/** validatePortNumOrName: a number in range, or an IANA service name. */
export function validatePortNumOrName(port: number | string | undefined, field: string): FieldError[] {
  if (port === undefined) return [required(field)];
  if (typeof port === 'number') return isValidPortNum(port).map((m) => invalid(field, port, m));
  return isValidPortName(port).map((m) => invalid(field, port, m));
}

function validateHTTPGet(h: V1HTTPGetAction, field: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!h.path) errs.push(required(`${field}.path`));
  errs.push(...validatePortNumOrName(h.port, `${field}.port`));
  if (h.scheme !== undefined && h.scheme !== 'HTTP' && h.scheme !== 'HTTPS') {
    errs.push(notSupported(`${field}.scheme`, h.scheme, ['HTTP', 'HTTPS']));
  }
  for (const [i, header] of (h.httpHeaders ?? []).entries()) {
    if (!header.name) errs.push(required(`${field}.httpHeaders[${i}].name`));
  }
  return errs;
}

type AnyHandler = V1Probe & V1LifecycleHandler;

/** validateHandler: exactly one handler type; each one checked. */
function validateHandler(h: AnyHandler, field: string, kinds: readonly string[]): FieldError[] {
  const errs: FieldError[] = [];
  let n = 0;
  for (const kind of kinds) {
    const action = (h as Record<string, unknown>)[kind];
    if (action === undefined) continue;
    if (n > 0) {
      errs.push(forbidden(`${field}.${kind}`, 'may not specify more than 1 handler type'));
      continue;
    }
    n++;
    const path = `${field}.${kind}`;
    if (kind === 'exec' && (h.exec?.command ?? []).length === 0) errs.push(required(`${path}.command`));
    if (kind === 'httpGet') errs.push(...validateHTTPGet(h.httpGet!, path));
    if (kind === 'tcpSocket') errs.push(...validatePortNumOrName(h.tcpSocket!.port, `${path}.port`));
    if (kind === 'grpc') errs.push(...isValidPortNum(h.grpc!.port).map((m) => invalid(`${path}.port`, h.grpc!.port, m)));
    if (kind === 'sleep' && (h.sleep!.seconds ?? 0) < 0) {
      errs.push(invalid(`${path}.seconds`, h.sleep!.seconds, 'must be greater than or equal to 0'));
    }
  }
  if (n === 0) errs.push(required(field, 'must specify a handler type'));
  return errs;
}

const PROBE_HANDLERS = ['exec', 'httpGet', 'tcpSocket', 'grpc'] as const;
const LIFECYCLE_HANDLERS = ['exec', 'httpGet', 'tcpSocket', 'sleep'] as const;

const NON_NEGATIVE = ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold'] as const;

/** validateProbe: one handler, non-negative timings (defaulting already turned zeros into 1/10/1/3). */
function validateProbe(p: V1Probe, field: string): FieldError[] {
  const errs = validateHandler(p as AnyHandler, field, PROBE_HANDLERS);
  for (const k of NON_NEGATIVE) {
    const v = p[k];
    if (v !== undefined && v < 0) errs.push(invalid(`${field}.${k}`, v, 'must be greater than or equal to 0'));
  }
  if (p.terminationGracePeriodSeconds !== undefined && p.terminationGracePeriodSeconds <= 0) {
    errs.push(invalid(`${field}.terminationGracePeriodSeconds`, p.terminationGracePeriodSeconds, 'must be greater than 0'));
  }
  return errs;
}

/** validateLivenessProbe / validateStartupProbe: a single success is the only meaningful threshold. */
function validateSuccessThresholdOne(p: V1Probe, field: string): FieldError[] {
  const errs = validateProbe(p, field);
  if (p.successThreshold !== undefined && p.successThreshold !== 1) {
    errs.push(invalid(`${field}.successThreshold`, p.successThreshold, 'must be 1'));
  }
  return errs;
}

/** validateReadinessProbe: a readiness failure never kills, so a probe-level grace period makes no sense. */
function validateReadinessProbe(p: V1Probe, field: string): FieldError[] {
  const errs = validateProbe(p, field);
  if (p.terminationGracePeriodSeconds !== undefined) {
    errs.push(invalid(`${field}.terminationGracePeriodSeconds`, p.terminationGracePeriodSeconds, 'must not be set for readinessProbes'));
  }
  return errs;
}

export interface ProbeCarrier {
  livenessProbe?: V1Probe;
  readinessProbe?: V1Probe;
  startupProbe?: V1Probe;
  lifecycle?: { postStart?: V1LifecycleHandler; preStop?: V1LifecycleHandler };
}

/** The probes and lifecycle hooks of a regular container or a sidecar (restartable init container). */
export function validateProbesAndLifecycle(c: ProbeCarrier, field: string): FieldError[] {
  const errs: FieldError[] = [];
  if (c.livenessProbe) errs.push(...validateSuccessThresholdOne(c.livenessProbe, `${field}.livenessProbe`));
  if (c.readinessProbe) errs.push(...validateReadinessProbe(c.readinessProbe, `${field}.readinessProbe`));
  if (c.startupProbe) errs.push(...validateSuccessThresholdOne(c.startupProbe, `${field}.startupProbe`));
  if (c.lifecycle?.postStart) errs.push(...validateHandler(c.lifecycle.postStart as AnyHandler, `${field}.lifecycle.postStart`, LIFECYCLE_HANDLERS));
  if (c.lifecycle?.preStop) errs.push(...validateHandler(c.lifecycle.preStop as AnyHandler, `${field}.lifecycle.preStop`, LIFECYCLE_HANDLERS));
  return errs;
}

/** validateInitContainers: a plain init container runs once, so probes and hooks are forbidden on it. */
export function forbidInitProbesAndLifecycle(c: ProbeCarrier, field: string): FieldError[] {
  const detail = 'may not be set for init containers without restartPolicy=Always';
  return (['lifecycle', 'livenessProbe', 'readinessProbe', 'startupProbe'] as const)
    .filter((k) => c[k] !== undefined)
    .map((k) => forbidden(`${field}.${k}`, detail));
}
