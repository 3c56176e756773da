// Which pod and container `mini-kubelet logs` means: the full name or a unique prefix, and kubectl's container defaulting (logsforobject.go).
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { PodNotFoundError } from './get-pods.js';

/** kubectl's annotation naming the container that logs, exec and attach use by default. */
export const DEFAULT_CONTAINER_ANNOTATION = 'kubectl.kubernetes.io/default-container';

/** The pod or container cannot be told from what was given; the message is the whole error line. */
export class LogsTargetError extends Error {}

/** "web", "pod/web" or "pods/web" → "web" (kubectl accepts TYPE/NAME). */
export function podNameArg(arg: string): string {
  const slash = arg.indexOf('/');
  if (slash < 0) return arg;
  const type = arg.slice(0, slash);
  if (!['pod', 'pods', 'po'].includes(type)) throw new LogsTargetError(`error: mini-kubelet logs only knows pods, not "${type}"`);
  return arg.slice(slash + 1);
}

/**
 * The pod in the namespace named exactly `name`; failing that, the one pod whose name starts with
 * it, so a static pod can be named without its "-<node name>" suffix. kubectl needs the full name.
 */
export function findPod(pods: V1Pod[], namespace: string, name: string): V1Pod {
  const inNamespace = pods.filter((p) => (p.metadata?.namespace || 'default') === namespace);
  const exact = inNamespace.find((p) => p.metadata?.name === name);
  if (exact) return exact;
  const prefixed = inNamespace.filter((p) => p.metadata?.name?.startsWith(name));
  if (prefixed.length === 1) return prefixed[0]!;
  if (prefixed.length === 0) throw new PodNotFoundError(name);
  const names = prefixed.map((p) => p.metadata?.name).sort();
  throw new LogsTargetError(`error: pod name "${name}" is ambiguous in namespace "${namespace}": it matches ${names.join(', ')}`);
}

const names = (cs: V1Container[] | undefined) => (cs ?? []).map((c) => c.name).join(' ');

/**
 * The container to read (kubectl logsForObject): the one asked for, which must exist; else the
 * default-container annotation's; else the only container; else an error that lists them.
 */
export function pickContainer(pod: V1Pod, asked: string | undefined): string {
  const podName = pod.metadata?.name ?? '';
  const all = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  if (asked) {
    if (!all.some((c) => c.name === asked)) throw new LogsTargetError(`error: container ${asked} is not valid for pod ${podName}`);
    return asked;
  }
  const annotated = pod.metadata?.annotations?.[DEFAULT_CONTAINER_ANNOTATION];
  if (annotated && all.some((c) => c.name === annotated)) return annotated;
  const containers = pod.spec?.containers ?? [];
  if (containers.length === 1) return containers[0]!.name;
  let message = `error: a container name must be specified for pod ${podName}, choose one of: [${names(containers)}]`;
  if (pod.spec?.initContainers?.length) message += ` or one of the init containers: [${names(pod.spec.initContainers)}]`;
  throw new LogsTargetError(message);
}
