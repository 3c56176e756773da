// Cluster mode, beside the static parts: the node's API client, and the API-facing parts the run command adds when --kubeconfig is given.
//
// The API server is one more pod source and a few more sinks, not a second core: the agent
// assembled by run.ts is the same with or without a cluster. This file builds what --kubeconfig
// adds (src/kubeclient/ for the client; the parts themselves live in their own folders) and
// starts and stops them around the Kubelet.
import type { Logger } from 'pino';
import type { PodSource } from '../config/types.js';
import type { KubeClient } from '../kubeclient/types.js';
import { createNodeCredentials, type NodeCredentials } from './cluster-credentials.js';
import type { RunOptions } from './flags.js';

/** What the cluster parts need from the running agent, handed over once it runs. */
export interface ClusterHost {
  nodeName: string;
  hostIP: string;
  logger: Logger;
}

export interface ClusterMode {
  client: KubeClient;
  /** Pod sources to add beside the static ones (the API server's pods bound to this node). */
  sources: PodSource[];
  /** Starts the parts that need the running agent. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The cluster parts for --kubeconfig, or undefined (after saying why on stderr) when the
 * kubeconfig cannot be used. Nothing here waits for the API server: a node agent starts and runs
 * its static pods while the control plane is away, and catches up when it answers.
 */
export async function createClusterMode(o: RunOptions, host: ClusterHost): Promise<ClusterMode | undefined> {
  if (!o.kubeconfig) return undefined;
  let client: KubeClient;
  // --bootstrap-kubeconfig / --rotate-certificates: the client certificate is got and renewed in
  // the background (src/cli/cluster-credentials.ts); the client is usable at once either way.
  let credentials: NodeCredentials;
  try {
    credentials = await createNodeCredentials(o, host, { kubeconfig: o.kubeconfig, qps: o.kubeApiQps, burst: o.kubeApiBurst });
    client = credentials.client;
  } catch (err) {
    process.stderr.write(`mini-kubelet: cannot use --kubeconfig ${o.kubeconfig}: ${(err as Error).message}\n`);
    return undefined;
  }
  host.logger.info({ server: client.server, nodeName: host.nodeName }, 'cluster mode: joining the API server');
  const sources: PodSource[] = [];
  // --provider-id (providerID in --config) is o.providerId: Node registration sets it as the Node's
  // spec.providerID when it builds the Node (kubelet: initialNode), once that part is here.
  return {
    client,
    sources,
    start: async () => {},
    stop: async () => {
      await credentials.stop();
      client.close();
    },
  };
}
