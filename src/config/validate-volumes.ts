// Validation of pod volumes (validation.go validateVolumes and validateVolumeSource), for the sources a node can serve.
import type { V1Volume } from '@kubernetes/client-node';
import { VOLUME_SOURCE_KEYS } from './defaults.js';
import { duplicate, forbidden, invalid, notSupported, required, type FieldError } from './field-errors.js';
import { isDNS1123Label } from './names.js';
import { isQuantity, parseQuantity, QUANTITY_FORMAT_MESSAGE } from './quantity.js';

/** supportedHostPathTypes, sorted as sets.List prints them. */
const HOST_PATH_TYPES = ['', 'BlockDevice', 'CharDevice', 'Directory', 'DirectoryOrCreate', 'File', 'FileOrCreate', 'Socket'];
const MAX_MODE = 0o777;

function validateMode(mode: number | undefined, field: string): FieldError[] {
  if (mode === undefined || (mode >= 0 && mode <= MAX_MODE)) return [];
  return [invalid(field, mode, 'must be a number between 0 and 0777 (octal), both inclusive')];
}

/** validatePathNoBacksteps / validateLocalDescendingPath. */
function validateRelativePath(p: string | undefined, field: string): FieldError[] {
  if (!p) return [required(field)];
  const errs: FieldError[] = [];
  if (p.startsWith('/')) errs.push(invalid(field, p, 'must be a relative path'));
  if (p.split('/').includes('..')) errs.push(invalid(field, p, "must not contain '..'"));
  return errs;
}

function validateSource(v: V1Volume, kind: string, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const path = `${field}.${kind}`;
  switch (kind) {
    case 'hostPath': {
      if (!v.hostPath!.path) errs.push(required(`${path}.path`));
      else if (v.hostPath!.path.split('/').includes('..')) errs.push(invalid(`${path}.path`, v.hostPath!.path, "must not contain '..'"));
      const t = v.hostPath!.type ?? '';
      if (!HOST_PATH_TYPES.includes(t)) errs.push(notSupported(`${path}.type`, t, HOST_PATH_TYPES));
      break;
    }
    case 'emptyDir': {
      const size = v.emptyDir!.sizeLimit as unknown;
      if (size !== undefined) {
        if (!isQuantity(size)) errs.push(invalid(`${path}.sizeLimit`, size, QUANTITY_FORMAT_MESSAGE));
        else if (parseQuantity(size) < 0) errs.push(invalid(`${path}.sizeLimit`, size, 'must be greater than or equal to 0'));
      }
      break;
    }
    case 'configMap':
      if (!v.configMap!.name) errs.push(required(`${path}.name`));
      errs.push(...validateMode(v.configMap!.defaultMode, `${path}.defaultMode`));
      (v.configMap!.items ?? []).forEach((it, i) => errs.push(...validateRelativePath(it.path, `${path}.items[${i}].path`)));
      break;
    case 'secret':
      if (!v.secret!.secretName) errs.push(required(`${path}.secretName`));
      errs.push(...validateMode(v.secret!.defaultMode, `${path}.defaultMode`));
      (v.secret!.items ?? []).forEach((it, i) => errs.push(...validateRelativePath(it.path, `${path}.items[${i}].path`)));
      break;
    case 'downwardAPI':
      errs.push(...validateMode(v.downwardAPI!.defaultMode, `${path}.defaultMode`));
      (v.downwardAPI!.items ?? []).forEach((it, i) => errs.push(...validateRelativePath(it.path, `${path}.items[${i}].path`)));
      break;
    case 'projected':
      errs.push(...validateMode(v.projected!.defaultMode, `${path}.defaultMode`));
      break;
  }
  return errs;
}

/** validateVolumes: unique DNS-1123 label names, exactly one source each. Returns the valid names too. */
export function validateVolumes(volumes: V1Volume[]): { errors: FieldError[]; names: Set<string> } {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  volumes.forEach((v, i) => {
    const field = `spec.volumes[${i}]`;
    const record = v as unknown as Record<string, unknown>;
    const kinds = VOLUME_SOURCE_KEYS.filter((k) => record[k] !== undefined);
    if (kinds.length === 0) errs.push(required(field, 'must specify a volume type'));
    kinds.forEach((kind, n) => {
      if (n > 0) errs.push(forbidden(`${field}.${kind}`, 'may not specify more than 1 volume type'));
      else errs.push(...validateSource(v, kind, field));
    });
    if (!v.name) errs.push(required(`${field}.name`));
    else errs.push(...isDNS1123Label(v.name).map((m) => invalid(`${field}.name`, v.name, m)));
    if (v.name && names.has(v.name)) errs.push(duplicate(`${field}.name`, v.name));
    if (v.name) names.add(v.name);
  });
  return { errors: errs, names };
}
