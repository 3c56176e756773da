// `mini-kubelet describe pod NAME`: fetches the pod and its events from the agent's read-only port and prints them as kubectl does.
import type { V1Pod } from '@kubernetes/client-node';
import { Command, Option } from 'commander';
import { AgentResponseError, AgentUnreachableError, DEFAULT_SERVER, getPodList } from './client.js';
import { describePod, type DescribeEvent } from './describe-pod.js';

const POD_RESOURCE_NAMES = ['pods', 'pod', 'po'];

export interface DescribeIO {
  out(s: string): void;
  now(): number;
}

export class PodNotFoundError extends Error {}

/** The agent's events for one pod (GET /pods/<namespace>/<name>/events); undefined from an agent without the endpoint. */
export async function getPodEvents(server: string, namespace: string, name: string): Promise<DescribeEvent[] | undefined> {
  const url = `${server.replace(/\/+$/, '')}/pods/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}/events`;
  let res: Response;
  try {
    res = await fetch(url);
  } catch (err) {
    throw new AgentUnreachableError(server, { cause: err });
  }
  if (res.status === 404) return undefined;
  if (!res.ok) throw new AgentResponseError(res.status, `mini-kubelet at ${server} answered ${res.status} for events of ${namespace}/${name}`);
  return ((await res.json()) as { items?: DescribeEvent[] }).items ?? [];
}

/**
 * kubectl describe's lookup: the pod with exactly this name, else every pod whose name starts
 * with it (so `describe pod web` finds the static pod "web-<node>").
 */
export function matchPods(pods: V1Pod[], name: string, namespace: string): V1Pod[] {
  const inNs = pods.filter((p) => (p.metadata?.namespace ?? 'default') === namespace);
  const exact = inNs.filter((p) => p.metadata?.name === name);
  return exact.length ? exact : inNs.filter((p) => (p.metadata?.name ?? '').startsWith(name));
}

export async function describePods(req: { server: string; name: string; namespace: string }, io: DescribeIO): Promise<void> {
  const list = await getPodList({ server: req.server });
  const pods = matchPods(list.items, req.name, req.namespace);
  if (pods.length === 0) throw new PodNotFoundError(`Error from server (NotFound): pods "${req.name}" not found`);
  const texts: string[] = [];
  for (const pod of pods) {
    const events = await getPodEvents(req.server, pod.metadata?.namespace ?? 'default', pod.metadata?.name ?? '');
    texts.push(describePod(pod, events, { now: io.now() }));
  }
  // kubectl separates several descriptions with a blank line.
  io.out(texts.join('\n\n'));
}

interface DescribeFlags {
  server: string;
  namespace: string;
}

export function registerDescribeCommand(program: Command, io: Partial<DescribeIO> = {}): Command {
  const fullIO: DescribeIO = { out: (s) => void process.stdout.write(s), now: () => Date.now(), ...io };
  return program
    .command('describe')
    .description('show the details of a pod and its events, as kubectl describe pod would')
    .argument('<resource>', 'the resource type: pod (or pods, po)')
    .argument('<name>', "the pod's name, or the start of it")
    .option('-n, --namespace <namespace>', "the pod's namespace", 'default')
    .addOption(new Option('--server <url>', "the agent's read-only address").env('MINI_KUBELET_SERVER').default(DEFAULT_SERVER))
    .action(async (resource: string, name: string, flags: DescribeFlags, command: Command) => {
      if (!POD_RESOURCE_NAMES.includes(resource)) {
        command.error(`error: the server doesn't have a resource type "${resource}"`, { exitCode: 1, code: 'mini-kubelet.describe.resource' });
      }
      try {
        await describePods({ server: flags.server, name, namespace: flags.namespace }, fullIO);
      } catch (err) {
        const message = err instanceof PodNotFoundError ? err.message : `error: ${(err as Error).message}`;
        command.error(message, { exitCode: 1, code: 'mini-kubelet.describe.failed' });
      }
    });
}
