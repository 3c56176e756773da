// Cluster mode's cost per watch event: one pod's status changed among N bound to the node, from the API pod source through the pod config's diff. No runtime or API server needed.
//
// Run: node --import tsx bench/api-source.ts [--pods 100,200] [--events 2000]   Prints one JSON line per size.
// Every status PATCH the agent sends comes back to it as a MODIFIED watch event, and the source
// then hands the pod config a SET of all the node's pods (as the kubelet's does): what that SET
// costs for the pods that did not change is what this measures.
import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import type { V1Pod } from '@kubernetes/client-node';
import { createApiServerSource } from '../src/config/apiserver-source.js';
import type { WatchEvent } from '../src/kubeclient/types.js';
import { PodConfig } from '../src/podconfig/podconfig.js';
import { round } from './lib/stats.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

/** A Deployment's replica as the API server hands it to the node: defaulted, with a kube-api-access volume. */
function replica(i: number, resourceVersion: number, phase: string): V1Pod {
  const now = new Date();
  return {
    metadata: {
      name: `burst-65db47966f-${i}`, namespace: 'bench', uid: `uid-${i}`, resourceVersion: String(resourceVersion), creationTimestamp: now,
      labels: { app: 'burst', 'pod-template-hash': '65db47966f' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'burst-65db47966f', uid: 'rs', controller: true, blockOwnerDeletion: true }],
    },
    spec: {
      nodeName: 'bench-node', restartPolicy: 'Always', terminationGracePeriodSeconds: 30, dnsPolicy: 'ClusterFirst', schedulerName: 'default-scheduler',
      serviceAccountName: 'default', enableServiceLinks: true, preemptionPolicy: 'PreemptLowerPriority', priority: 0,
      tolerations: ['not-ready', 'unreachable'].map((t) => ({ key: `node.kubernetes.io/${t}`, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 })),
      volumes: [{
        name: 'kube-api-access-x',
        projected: {
          defaultMode: 420,
          sources: [
            { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
            { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
            { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
          ],
        },
      }],
      containers: [{
        name: 'busybox', image: 'busybox:1.36', imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'], resources: {},
        terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File',
        volumeMounts: [{ name: 'kube-api-access-x', readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }],
      }],
    },
    status: { phase, qosClass: 'BestEffort', conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: now }] },
  };
}

export async function measureApiSource(pods: number, events: number): Promise<{ figure: 'api-source'; pods: number; events: number; perEventMs: number; updates: number }> {
  let send: ((e: WatchEvent<V1Pod>) => void) | undefined;
  const source = createApiServerSource({
    nodeName: 'bench-node',
    logger: quiet,
    pods: {
      list: async () => ({ items: Array.from({ length: pods }, (_, i) => replica(i, 1, 'Pending')), resourceVersion: '1' }),
      // As the real watch (kubeclient/watch.ts): stop() ends it with onClose.
      watch: (_opts, onEvent, onClose) => {
        send = onEvent;
        return { stop: () => onClose() };
      },
    },
  });
  const config = new PodConfig({ logger: quiet });
  let updates = 0;
  await source.start((s) => (updates += config.apply(s).length));
  while (!send) await nextTurn();
  const started = performance.now();
  for (let e = 0; e < events; e++) {
    send({ type: 'MODIFIED', object: replica(e % pods, 2 + e, e % 2 ? 'Running' : 'Pending') });
    // The SET goes out on the next turn (setImmediate), as between two watch events off the wire.
    await nextTurn();
    await nextTurn();
  }
  const ms = performance.now() - started;
  await source.stop();
  return { figure: 'api-source', pods, events, perEventMs: round(ms / events, 3), updates: updates - 1 };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { pods: { type: 'string' }, events: { type: 'string' } } });
  const events = Number(values.events ?? 2000);
  for (const n of (values.pods ?? '100,200').split(',').map(Number)) console.log(JSON.stringify(await measureApiSource(n, events)));
}
