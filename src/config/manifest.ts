// Turns one manifest file's text into accepted static pods and rejected documents (kubelet: file.go extractFromFile + common.go tryDecodeSinglePod).
//
// One Pod per file, as the kubelet reads it; several YAML documents in one file is our documented
// extension: each document is a pod, and an invalid document rejects only itself (a syntax error
// ends the reading there). Every error is bounded: see rejectionList.
import type { V1Pod } from '@kubernetes/client-node';
import { FILE_SOURCE } from './annotations.js';
import { applyPodDefaults } from './defaults.js';
import { joinBounded, MAX_QUOTED_CHARS, truncate } from '../bounded.js';
import { formatFieldError, notSupported, required } from './field-errors.js';
import { applyStaticPodIdentity } from './identity.js';
import { checkPodShape } from './shape.js';
import type { ManifestError } from './types.js';
import { validatePod } from './validate.js';
import { readDocuments } from './yaml-documents.js';

export interface ManifestOptions {
  path: string;
  /** Lowercased by the caller, as the kubelet's --hostname-override is. */
  nodeName: string;
  source?: string;
}

export interface ParsedManifest {
  pods: V1Pod[];
  errors: ManifestError[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Timestamps come from YAML as strings (or yaml 1.1 Dates); V1ObjectMeta wants Dates. */
function reviveTimestamps(pod: V1Pod): void {
  const meta = pod.metadata as Record<string, unknown> | undefined;
  for (const k of ['creationTimestamp', 'deletionTimestamp']) {
    if (typeof meta?.[k] === 'string') meta[k] = new Date(meta[k] as string);
  }
}

/** A decoded pod, or why it was refused (the field errors, joined by the caller). */
export interface DecodedPod { pod?: V1Pod; podName?: string; messages: string[] }

/**
 * Decode, default, validate, identify: the field errors, or the finished pod. `identify` gives a
 * valid pod its source's identity (UID, name suffix, annotations), which differs by source
 * (kubelet: applyDefaults' isFile branches); the HTTP source decodes with this too.
 */
export function decodePod(value: unknown, nodeName: string, identify: (pod: V1Pod) => void): DecodedPod {
  if (!isObject(value)) return { messages: ['expected a Pod object'] };
  const podName = isObject(value.metadata) && typeof value.metadata.name === 'string' ? value.metadata.name : undefined;
  // Kind first (anything else is not ours to read), then field types (the rest relies on them).
  if (!value.kind) return { podName, messages: [formatFieldError(required('kind'))] };
  if (value.kind !== 'Pod') return { podName, messages: [formatFieldError(notSupported('kind', value.kind, ['Pod']))] };
  if (value.apiVersion !== 'v1') return { podName, messages: [formatFieldError(notSupported('apiVersion', value.apiVersion ?? '', ['v1']))] };
  const typeErrs = checkPodShape(value);
  if (typeErrs.length > 0) return { podName, messages: typeErrs.map(formatFieldError) };
  const pod = value as V1Pod;
  reviveTimestamps(pod);
  applyPodDefaults(pod);
  const errs = validatePod(pod, { nameSuffix: `-${nodeName}` });
  if (errs.length > 0) return { podName, messages: errs.map(formatFieldError) };
  identify(pod);
  return { pod, podName, messages: [] };
}

/** Rejected documents listed per file; the rest are counted in one more entry, so a file of many bad pods is a few lines. */
export const MAX_REJECTED_DOCUMENTS = 5;

/**
 * The errors of one file or body, at most MAX_REJECTED_DOCUMENTS of them and then a count of the
 * rest, each message bounded (the field errors joined as kubectl prints them, cut at
 * MAX_MESSAGE_CHARS) and each pod name cut: nothing a manifest holds reaches a log line or
 * /manifests/errors unbounded.
 */
export function rejectionList(source: string, path: string): { reject(prefix: string, messages: string[], podName?: string): void; errors: ManifestError[] } {
  const errors: ManifestError[] = [];
  let dropped = 0;
  return {
    errors,
    reject(prefix, messages, podName) {
      if (errors.length >= MAX_REJECTED_DOCUMENTS) {
        dropped++;
        const more = `${dropped} more rejected ${dropped === 1 ? 'document' : 'documents'} not listed`;
        if (dropped === 1) errors.push({ source, path, message: more });
        else errors[errors.length - 1]!.message = more;
        return;
      }
      const name = podName !== undefined ? { podName: truncate(podName, MAX_QUOTED_CHARS) } : {};
      errors.push({ source, path, ...name, message: truncate(prefix + joinBounded(messages)) });
    },
  };
}

/**
 * Parses a whole file. Empty documents (a trailing `---`, comments only) are skipped. The first
 * syntax error ends the reading: the documents before it stand, and it is the file's last error.
 * Anything the decoding throws (a structure too deep for the stack) rejects this file alone.
 */
export function parseManifest(text: string, opts: ManifestOptions): ParsedManifest {
  const source = opts.source ?? FILE_SOURCE;
  const pods: V1Pod[] = [];
  const { reject, errors } = rejectionList(source, opts.path);
  try {
    const list = readDocuments(text);
    const multi = list.length > 1;
    list.forEach(({ value, syntax }, i) => {
      const where = multi ? `document[${i}]: ` : '';
      if (syntax !== undefined) return reject(where, [syntax]);
      if (value === null || value === undefined) return;
      const configPath = multi ? `${opts.path}#${i}` : opts.path;
      const decoded = decodePod(value, opts.nodeName, (pod) => applyStaticPodIdentity(pod, { nodeName: opts.nodeName, filePath: opts.path, configPath, source }));
      if (decoded.pod) pods.push(decoded.pod);
      else reject(where, decoded.messages, decoded.podName);
    });
  } catch (err) {
    return { pods: [], errors: [{ source, path: opts.path, message: truncate(`cannot decode: ${(err as Error)?.message ?? String(err)}`) }] };
  }
  if (pods.length === 0 && errors.length === 0) errors.push({ source, path: opts.path, message: 'no Pod in the file (it is empty)' });
  return { pods, errors };
}
