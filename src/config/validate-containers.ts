// Validation of containers and init containers (validation.go validateContainers, validateInitContainers, validateContainerCommon).
import type { V1Container, V1ContainerPort, V1EnvVar, V1VolumeMount } from '@kubernetes/client-node';
import { duplicate, forbidden, invalid, notFound, notSupported, required, type FieldError } from './field-errors.js';
import { isDNS1123Label, isEnvVarName, isValidPortName, isValidPortNum } from './names.js';
import { forbidInitProbesAndLifecycle, validateProbesAndLifecycle } from './validate-probes.js';
import { validateResources } from './validate-resources.js';

const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const TERMINATION_MESSAGE_POLICIES = ['File', 'FallbackToLogsOnError'];
/** validEnvDownwardAPIFieldPathExpressions (sorted as sets.List prints them). */
const ENV_FIELD_PATHS = [
  'metadata.name', 'metadata.namespace', 'metadata.uid', 'spec.nodeName', 'spec.serviceAccountName',
  'status.hostIP', 'status.hostIPs', 'status.podIP', 'status.podIPs',
];
const SUBSCRIPTED_FIELD_PATH = /^metadata\.(labels|annotations)\['[^']+'\]$/;

/** validateContainerPorts. */
function validatePorts(ports: V1ContainerPort[], field: string): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  ports.forEach((p, i) => {
    const path = `${field}[${i}]`;
    if (p.name) {
      const msgs = isValidPortName(p.name);
      if (msgs.length > 0) errs.push(...msgs.map((m) => invalid(`${path}.name`, p.name, m)));
      else if (names.has(p.name)) errs.push(duplicate(`${path}.name`, p.name));
      else names.add(p.name);
    }
    if (!p.containerPort) errs.push(required(`${path}.containerPort`));
    else errs.push(...isValidPortNum(p.containerPort).map((m) => invalid(`${path}.containerPort`, p.containerPort, m)));
    if (p.hostPort) errs.push(...isValidPortNum(p.hostPort).map((m) => invalid(`${path}.hostPort`, p.hostPort, m)));
    if (!p.protocol) errs.push(required(`${path}.protocol`));
    else if (!PROTOCOLS.includes(p.protocol)) errs.push(notSupported(`${path}.protocol`, p.protocol, PROTOCOLS));
  });
  return errs;
}

/** ValidateEnv + validateEnvVarValueFrom. */
function validateEnv(env: V1EnvVar[], field: string): FieldError[] {
  const errs: FieldError[] = [];
  env.forEach((ev, i) => {
    const path = `${field}[${i}]`;
    if (!ev.name) errs.push(required(`${path}.name`));
    else errs.push(...isEnvVarName(ev.name).map((m) => invalid(`${path}.name`, ev.name, m)));
    const from = ev.valueFrom;
    if (!from) return;
    const vf = `${path}.valueFrom`;
    const n = [from.fieldRef, from.resourceFieldRef, from.configMapKeyRef, from.secretKeyRef].filter((x) => x !== undefined).length;
    if (n === 0) errs.push(invalid(vf, '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'));
    else if (ev.value) errs.push(invalid(vf, '', 'may not be specified when `value` is not empty'));
    else if (n > 1) errs.push(invalid(vf, '', 'may not have more than one field specified at a time'));
    if (from.fieldRef) {
      const fp = from.fieldRef.fieldPath;
      if (!fp) errs.push(required(`${vf}.fieldRef.fieldPath`));
      else if (!ENV_FIELD_PATHS.includes(fp) && !SUBSCRIPTED_FIELD_PATH.test(fp)) {
        errs.push(notSupported(`${vf}.fieldRef.fieldPath`, fp, ENV_FIELD_PATHS));
      }
      if (from.fieldRef.apiVersion !== undefined && from.fieldRef.apiVersion !== 'v1') {
        errs.push(notSupported(`${vf}.fieldRef.apiVersion`, from.fieldRef.apiVersion, ['v1']));
      }
    }
    if (from.resourceFieldRef && !from.resourceFieldRef.resource) errs.push(required(`${vf}.resourceFieldRef.resource`));
    for (const k of ['configMapKeyRef', 'secretKeyRef'] as const) {
      if (from[k] && !from[k]!.key) errs.push(required(`${vf}.${k}.key`));
    }
  });
  return errs;
}

/** ValidateVolumeMounts. The API allows a relative mountPath (the kubelet makes it absolute), so only emptiness is checked. */
function validateVolumeMounts(mounts: V1VolumeMount[], volumes: ReadonlySet<string>, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const mountPoints = new Set<string>();
  mounts.forEach((m, i) => {
    const path = `${field}[${i}]`;
    if (!m.name) errs.push(required(`${path}.name`));
    else if (!volumes.has(m.name)) errs.push(notFound(`${path}.name`, m.name));
    if (!m.mountPath) errs.push(required(`${path}.mountPath`));
    else if (mountPoints.has(m.mountPath)) errs.push(invalid(`${path}.mountPath`, m.mountPath, 'must be unique'));
    mountPoints.add(m.mountPath);
    if (m.subPath) {
      // validateLocalDescendingPath: a subPath must stay inside its volume.
      if (m.subPath.startsWith('/')) errs.push(invalid(`${path}.subPath`, m.subPath, 'must be a relative path'));
      if (m.subPath.split('/').includes('..')) errs.push(invalid(`${path}.subPath`, m.subPath, "must not contain '..'"));
    }
  });
  return errs;
}

/** validateContainerCommon: what regular and init containers share. */
function validateContainerCommon(c: V1Container, volumes: ReadonlySet<string>, field: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!c.name) errs.push(required(`${field}.name`));
  else errs.push(...isDNS1123Label(c.name).map((m) => invalid(`${field}.name`, c.name, m)));
  if (!c.image) errs.push(required(`${field}.image`));
  else if (c.image.trim() !== c.image) errs.push(invalid(`${field}.image`, c.image, 'must not have leading or trailing whitespace'));
  if (!c.imagePullPolicy) errs.push(required(`${field}.imagePullPolicy`));
  else if (!PULL_POLICIES.includes(c.imagePullPolicy)) errs.push(notSupported(`${field}.imagePullPolicy`, c.imagePullPolicy, PULL_POLICIES));
  const tmp = c.terminationMessagePolicy;
  if (!tmp) errs.push(required(`${field}.terminationMessagePolicy`, "must be 'File' or 'FallbackToLogsOnError'"));
  else if (!TERMINATION_MESSAGE_POLICIES.includes(tmp)) errs.push(notSupported(`${field}.terminationMessagePolicy`, tmp, TERMINATION_MESSAGE_POLICIES));
  errs.push(...validatePorts(c.ports ?? [], `${field}.ports`));
  errs.push(...validateEnv(c.env ?? [], `${field}.env`));
  errs.push(...validateVolumeMounts(c.volumeMounts ?? [], volumes, `${field}.volumeMounts`));
  errs.push(...validateResources(c.resources, `${field}.resources`));
  return errs;
}

/** validateContainers then validateInitContainers: names unique across both lists, reported on the init container. */
export function validateAllContainers(containers: V1Container[], initContainers: V1Container[], volumes: ReadonlySet<string>): FieldError[] {
  const errs: FieldError[] = [];
  if (containers.length === 0) errs.push(required('spec.containers'));
  const names = new Set<string>();
  containers.forEach((c, i) => {
    const path = `spec.containers[${i}]`;
    errs.push(...validateContainerCommon(c, volumes, path));
    if (c.name && names.has(c.name)) errs.push(duplicate(`${path}.name`, c.name));
    names.add(c.name);
    if (c.restartPolicy !== undefined) errs.push(forbidden(`${path}.restartPolicy`, 'may not be set for non-init containers'));
    errs.push(...validateProbesAndLifecycle(c, path));
  });
  initContainers.forEach((c, i) => {
    const path = `spec.initContainers[${i}]`;
    errs.push(...validateContainerCommon(c, volumes, path));
    if (c.name && names.has(c.name)) errs.push(duplicate(`${path}.name`, c.name));
    names.add(c.name);
    // validateInitContainerRestartPolicy: only "Always" (a sidecar) may be set.
    if (c.restartPolicy !== undefined && c.restartPolicy !== 'Always') {
      errs.push(notSupported(`${path}.restartPolicy`, c.restartPolicy, ['Always']));
    }
    if (c.restartPolicy === 'Always') errs.push(...validateProbesAndLifecycle(c, path));
    else errs.push(...forbidInitProbesAndLifecycle(c, path));
  });
  return errs;
}

/** checkHostPortConflicts: two containers cannot bind the same protocol/hostIP/hostPort. */
export function validateHostPortConflicts(containers: V1Container[]): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  containers.forEach((c, i) => (c.ports ?? []).forEach((p, j) => {
    if (!p.hostPort) return;
    const key = `${p.protocol ?? 'TCP'}/${p.hostIP ?? ''}/${p.hostPort}`;
    if (seen.has(key)) errs.push(duplicate(`spec.containers[${i}].ports[${j}].hostPort`, key));
    seen.add(key);
  }));
  return errs;
}
