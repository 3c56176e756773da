// Registers the Node, or adopts the one that exists (kubelet initialNode, tryRegisterWithAPIServer and its reconcile of annotations, default labels and resources).
import type { V1Node, V1Taint } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { isHugePageResourceName } from '../admission/requests.js';
import { isAlreadyExists } from '../kubeclient/errors.js';
import type { NodesClient } from '../kubeclient/types.js';
import { updateDefaultLabels } from './labels.js';
import { nodeStatusPatch } from './node-status-patch.js';

/** volutil.ControllerManagedAttachAnnotation: the attach/detach controller, not the kubelet, attaches this node's volumes. */
export const CONTROLLER_MANAGED_ATTACH_ANNOTATION = 'volumes.kubernetes.io/controller-managed-attach-detach';

/**
 * initialNode without its status (the caller runs the status setters on it): the labels
 * (src/node/labels.ts), schedulable, the --register-with-taints taints, --provider-id as
 * spec.providerID, and the controller-managed attach/detach annotation (the kubelet's
 * enableControllerAttachDetach defaults to true). As the kubelet's, the provider ID is set only
 * when the Node is created, never on one that exists.
 */
export function initialNode(nodeName: string, labels: Readonly<Record<string, string>>, taints: readonly V1Taint[], providerID?: string): V1Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: nodeName, labels: { ...labels }, annotations: { [CONTROLLER_MANAGED_ATTACH_ANNOTATION]: 'true' } },
    spec: {
      ...(taints.length ? { taints: taints.map((t) => ({ ...t })) } : {}),
      ...(providerID ? { providerID } : {}),
    },
  };
}

/** reconcileCMADAnnotationWithExistingNode. */
function reconcileAttachAnnotation(initial: V1Node, existing: V1Node): boolean {
  const want = initial.metadata?.annotations?.[CONTROLLER_MANAGED_ATTACH_ANNOTATION];
  const have = existing.metadata?.annotations?.[CONTROLLER_MANAGED_ATTACH_ANNOTATION];
  if (want === have) return false;
  const annotations = ((existing.metadata ??= {}).annotations ??= {});
  if (want === undefined) delete annotations[CONTROLLER_MANAGED_ATTACH_ANNOTATION];
  else annotations[CONTROLLER_MANAGED_ATTACH_ANNOTATION] = want;
  return true;
}

/** updateDefaultResources: an existing Node without capacity or allocatable takes the initial one's. */
function updateDefaultResources(initial: V1Node, existing: V1Node): boolean {
  const s = (existing.status ??= {});
  let changed = false;
  for (const k of ['capacity', 'allocatable'] as const) {
    if (s[k]) continue;
    s[k] = { ...initial.status?.[k] };
    changed ||= initial.status?.[k] !== undefined;
  }
  return changed;
}

/** reconcileHugePageResource: each huge page size the machine has gets its capacity and allocatable; sizes it lost go. */
function reconcileHugePages(initial: V1Node, existing: V1Node): boolean {
  let changed = updateDefaultResources(initial, existing);
  const s = existing.status!;
  const supported = Object.keys(initial.status?.capacity ?? {}).filter(isHugePageResourceName);
  for (const name of supported) {
    for (const k of ['capacity', 'allocatable'] as const) {
      const want = initial.status?.[k]?.[name];
      if (want !== undefined && s[k]![name] !== want) {
        s[k]![name] = want;
        changed = true;
      }
    }
  }
  for (const name of Object.keys(s.capacity!).filter(isHugePageResourceName)) {
    if (supported.includes(name)) continue;
    delete s.capacity![name];
    delete s.allocatable![name];
    changed = true;
  }
  return changed;
}

/**
 * tryRegisterWithAPIServer: creates the Node; if it exists already, adopts it, putting back the
 * attach annotation, the default labels and the resources the existing Node lacks (one
 * nodes/status patch). Resolves with the Node the API server holds, or undefined after logging
 * why registration has to be tried again.
 */
export async function tryRegisterWithAPIServer(nodes: NodesClient, node: V1Node, logger: Logger): Promise<V1Node | undefined> {
  const name = node.metadata!.name!;
  try {
    return await nodes.create(node);
  } catch (err) {
    if (!isAlreadyExists(err)) {
      logger.error({ node: name, err: (err as Error).message }, 'Unable to register node with API server');
      return undefined;
    }
  }
  let existing: V1Node;
  try {
    existing = await nodes.get(name);
  } catch (err) {
    logger.error({ node: name, err: (err as Error).message }, 'Unable to register node with API server, error getting existing node');
    return undefined;
  }
  logger.info({ node: name, uid: existing.metadata?.uid }, 'Node was previously registered');
  const original = structuredClone(existing);
  let requiresUpdate = reconcileAttachAnnotation(node, existing);
  requiresUpdate = updateDefaultLabels(node.metadata?.labels ?? {}, ((existing.metadata ??= {}).labels ??= {})) || requiresUpdate;
  requiresUpdate = reconcileHugePages(node, existing) || requiresUpdate;
  const patch = requiresUpdate ? nodeStatusPatch(original, existing) : undefined;
  if (!patch) return existing;
  try {
    return await nodes.patchStatus(name, patch);
  } catch (err) {
    logger.error({ node: name, err: (err as Error).message }, 'Unable to reconcile node with API server, error updating node');
    return undefined;
  }
}
