// Turns a --manifest-url response body into pods: one Pod or a v1 PodList, YAML or JSON (kubelet: config/http.go extractFromURL, common.go tryDecodeSinglePod/tryDecodePodList).
import { createHash } from 'node:crypto';
import type { V1Pod } from '@kubernetes/client-node';
import { CONFIG_HASH_ANNOTATION, CONFIG_PATH_ANNOTATION, CONFIG_SOURCE_ANNOTATION, HTTP_SOURCE } from './annotations.js';
import { joinBounded, MAX_QUOTED_CHARS, truncate } from '../bounded.js';
import { formatFieldError, invalid, notSupported, required } from './field-errors.js';
import { canonicalJSON, staticPodName } from './identity.js';
import { decodePod, rejectionList } from './manifest.js';
import { readDocuments } from './yaml-documents.js';
import type { ManifestError } from './types.js';

export interface HttpPodsOptions {
  url: string;
  /** Lowercased by the caller. */
  nodeName: string;
}

/** Either the pods to SET, or why the body cannot be used: the error text and what /manifests/errors shows. */
export type HttpPods = { pods: V1Pod[] } | { error: string; errors: ManifestError[] };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * applyDefaults with isFile=false: the UID is an md5 over the URL and the pod (no node name, no
 * file path, so the same pod from a file gets another UID), and no NoExecute toleration is added
 * (the kubelet adds it to file pods only). Name suffix, namespace, node and phase as for a file.
 */
export function httpPodUID(pod: V1Pod, url: string): string {
  return createHash('md5').update(`url:${url}`).update(canonicalJSON(pod)).digest('hex');
}

function applyHttpPodIdentity(pod: V1Pod, opts: HttpPodsOptions, configPath: string): void {
  const meta = (pod.metadata ??= {});
  // Hash first: the fields below are derived, not part of what the URL served.
  meta.uid ||= httpPodUID(pod, opts.url);
  meta.name = staticPodName(meta.name ?? '', opts.nodeName);
  meta.namespace ||= 'default';
  pod.spec!.nodeName = opts.nodeName;
  meta.annotations = { ...meta.annotations, [CONFIG_HASH_ANNOTATION]: meta.uid, [CONFIG_SOURCE_ANNOTATION]: HTTP_SOURCE, [CONFIG_PATH_ANNOTATION]: configPath };
  pod.status = { ...pod.status, phase: 'Pending' };
}

/** Why a value is not an object of `kind` (apiVersion v1): the decoder's refusal, in the API server's wording. */
function notKind(value: unknown, kind: string): string | undefined {
  if (!isObject(value)) return 'expected an object';
  if (!value.kind) return formatFieldError(required('kind'));
  if (value.kind !== kind) return formatFieldError(notSupported('kind', value.kind, [kind]));
  if (value.apiVersion !== 'v1') return formatFieldError(notSupported('apiVersion', value.apiVersion ?? '', ['v1']));
  return undefined;
}

/**
 * Decodes a non-empty body. A Pod is tried first, then a PodList; a body that is neither is an
 * error quoting it. A Pod or PodList that decodes but fails defaulting or validation refuses the
 * whole body (the kubelet sends no update then), with every refused item listed.
 */
export function parseHttpPods(body: string, opts: HttpPodsOptions): HttpPods {
  const docs = readDocuments(body).filter((d) => d.syntax !== undefined || (d.value !== null && d.value !== undefined));
  let value: unknown;
  let unreadable: string | undefined;
  if (docs.length !== 1) unreadable = docs.length === 0 ? 'no object in the body' : `expected one object, found ${docs.length} YAML documents`;
  else if (docs[0]!.syntax !== undefined) unreadable = docs[0]!.syntax;
  else value = docs[0]!.value;

  const singleErr = unreadable ?? notKind(value, 'Pod');
  if (singleErr === undefined) {
    const decoded = decodePod(value, opts.nodeName, (pod) => applyHttpPodIdentity(pod, opts, opts.url));
    if (decoded.pod) return { pods: [decoded.pod] };
    const { reject, errors } = rejectionList(HTTP_SOURCE, opts.url);
    reject('', decoded.messages, decoded.podName);
    return { error: `invalid pod: ${errors[0]!.message}`, errors };
  }

  const listErr = unreadable ?? notKind(value, 'PodList');
  if (listErr === undefined) return podList(value as Record<string, unknown>, opts);

  // The kubelet quotes the whole body; a few hundred characters of it say what was served.
  const error = truncate(`${opts.url}: received '${truncate(body, MAX_QUOTED_CHARS)}', but couldn't parse as single (${singleErr}) or multiple pods (${listErr}).`);
  return { error, errors: [{ source: HTTP_SOURCE, path: opts.url, message: error }] };
}

/** A PodList's items. Items need no kind or apiVersion (the API server leaves them out of lists). */
function podList(list: Record<string, unknown>, opts: HttpPodsOptions): HttpPods {
  const items = list.items ?? [];
  if (!Array.isArray(items)) {
    const message = formatFieldError(invalid('items', items, 'must be a list of pods'));
    return { error: `invalid pods list: ${message}`, errors: [{ source: HTTP_SOURCE, path: opts.url, message }] };
  }
  const pods: V1Pod[] = [];
  const { reject, errors } = rejectionList(HTTP_SOURCE, opts.url);
  items.forEach((item, i) => {
    const value = isObject(item) ? { apiVersion: 'v1', kind: 'Pod', ...item } : item;
    const decoded = decodePod(value, opts.nodeName, (pod) => applyHttpPodIdentity(pod, opts, `${opts.url}#${i}`));
    if (decoded.pod) pods.push(decoded.pod);
    else reject(`items[${i}]: `, decoded.messages, decoded.podName);
  });
  if (errors.length > 0) return { error: `invalid pod: ${joinBounded(errors.map((e) => e.message))}`, errors };
  return { pods };
}
