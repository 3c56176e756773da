// Turns one manifest file's text into accepted static pods and rejected documents (kubelet: file.go extractFromFile + common.go tryDecodeSinglePod).
//
// One Pod per file, as the kubelet reads it; several YAML documents in one file is our documented
// extension: each document is a pod, and a bad document rejects only itself.
import type { V1Pod } from '@kubernetes/client-node';
import { parseAllDocuments, type Document } from 'yaml';
import { FILE_SOURCE } from './annotations.js';
import { applyPodDefaults } from './defaults.js';
import { formatFieldError, notSupported, required } from './field-errors.js';
import { applyStaticPodIdentity } from './identity.js';
import { checkPodShape, dropNulls } from './shape.js';
import type { ManifestError } from './types.js';
import { validatePod } from './validate.js';

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

const TIMESTAMP_TAG = 'tag:yaml.org,2002:timestamp';

/** Syntax errors with the position the yaml library found ("at line 3, column 5"), one line each. */
function syntaxMessages(doc: Document.Parsed): string[] {
  return doc.errors.map((e) => e.message.split('\n')[0]!.replace(/:$/, ''));
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

/** One YAML document of a text: its value (nulls dropped; undefined for an empty document), or its syntax errors. */
export interface ManifestDocument { value: unknown; syntax: string[] }

/**
 * The documents of a manifest text. YAML 1.1, as Go's yaml.v2 reads manifests: `defaultMode:
 * 0644` is octal there, not 644. But yaml.v2 leaves timestamps as strings when decoding untyped,
 * so `date: 2024-01-01` is text.
 */
export function readDocuments(text: string): ManifestDocument[] {
  const docs = parseAllDocuments(text, { version: '1.1', customTags: (tags) => tags.filter((t) => typeof t === 'string' || t.tag !== TIMESTAMP_TAG) });
  const list = Array.isArray(docs) ? docs : [];
  return list.map((doc) => {
    const syntax = syntaxMessages(doc);
    return syntax.length > 0 ? { value: undefined, syntax } : { value: dropNulls(doc.toJS({ maxAliasCount: 100 })), syntax };
  });
}

/** Parses a whole file. Empty documents (a trailing `---`, comments only) are skipped. */
export function parseManifest(text: string, opts: ManifestOptions): ParsedManifest {
  const source = opts.source ?? FILE_SOURCE;
  const list = readDocuments(text);
  const multi = list.length > 1;
  const pods: V1Pod[] = [];
  const errors: ManifestError[] = [];
  const reject = (i: number, messages: string[], podName?: string) => {
    const where = multi ? `document[${i}]: ` : '';
    errors.push({ source, path: opts.path, ...(podName !== undefined ? { podName } : {}), message: where + messages.join('; ') });
  };
  list.forEach(({ value, syntax }, i) => {
    if (syntax.length > 0) return reject(i, syntax);
    if (value === null || value === undefined) return;
    const configPath = multi ? `${opts.path}#${i}` : opts.path;
    const decoded = decodePod(value, opts.nodeName, (pod) => applyStaticPodIdentity(pod, { nodeName: opts.nodeName, filePath: opts.path, configPath, source }));
    if (decoded.pod) pods.push(decoded.pod);
    else reject(i, decoded.messages, decoded.podName);
  });
  if (pods.length === 0 && errors.length === 0) errors.push({ source, path: opts.path, message: 'no Pod in the file (it is empty)' });
  return { pods, errors };
}
