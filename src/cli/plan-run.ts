// What `mini-kubelet plan FILE` does: read the manifest as the agent's file source does, admit it, and print the CRI calls the agent would make.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import pino from 'pino';
import { admitPod } from '../admission/admit.js';
import { firstSeenStamper } from '../config/first-seen.js';
import { parseManifest } from '../config/manifest.js';
import { createCriClient, type CriClient } from '../cri/client.js';
import { nodeIPOf, nodeNameOf } from '../node/address.js';
import { planJSON, planYAML, type PlanHeader } from '../plan/format.js';
import { planPod, type PodPlan } from '../plan/simulate.js';
import { formatRejected } from './format-rejected.js';
import { nodeSettings, type NodeFlags } from './node-settings.js';

export interface PlanFlags extends NodeFlags {
  output: 'yaml' | 'json';
  /** The agent's --pod-manifest-path: the pod's UID hashes the path the agent reads it by. */
  podManifestPath?: string;
  hostnameOverride?: string;
  nodeIp?: string;
  /** Given: the runtime is read (never changed); absent: offline. */
  containerRuntimeEndpoint?: string;
  imageServiceEndpoint?: string;
  runtimeRequestTimeout: number;
}

export interface PlanIO {
  out(text: string): void;
  err(text: string): void;
  now(): number;
}

/** The path the agent's file source would name the file by (join normalizes, as readdir + join do). */
export function agentPath(file: string, podManifestPath: string | undefined): string {
  return podManifestPath ? path.join(podManifestPath, path.basename(file)) : path.normalize(file);
}

/** Prints the plan of every pod in the file; resolves to the exit code (1 for a bad file, a rejected pod or an unreachable runtime). */
export async function runPlan(file: string, flags: PlanFlags, io: PlanIO): Promise<number> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    io.err(`error: cannot read ${file}: ${(err as Error).message}\n`);
    return 1;
  }
  const nodeName = nodeNameOf(flags.hostnameOverride);
  const hostIP = nodeIPOf(flags.nodeIp);
  const manifestPath = agentPath(file, flags.podManifestPath);
  // The file source's own steps: parse, default, validate, identify; then the first-seen stamp.
  const parsed = parseManifest(text, { path: manifestPath, nodeName });
  let exit = 0;
  if (parsed.errors.length > 0) {
    io.err(formatRejected(parsed.errors));
    exit = 1;
  }
  const pods = firstSeenStamper({ now: io.now })(parsed.pods);
  if (pods.length === 0) return exit;

  const logger = pino({ level: 'silent' });
  const node = await nodeSettings(flags, { nodeName, hostIP, logger }, { sideEffects: false });
  if (!node) return 1;
  // Admission, as the sync loop's HandlePodAdditions: in order, each against the ones admitted before it.
  const admitted: V1Pod[] = [];
  for (const pod of pods) {
    const verdict = admitPod(pod, admitted, node.admission);
    if (verdict.admit) admitted.push(pod);
    else {
      io.err(`pod ${pod.metadata?.namespace}/${pod.metadata?.name} would be rejected at admission (phase Failed, reason ${verdict.reason}): Pod was rejected: ${verdict.message}\n`);
      exit = 1;
    }
  }

  let runtime: CriClient | undefined;
  if (flags.containerRuntimeEndpoint) {
    runtime = createCriClient({ runtimeEndpoint: flags.containerRuntimeEndpoint, imageEndpoint: flags.imageServiceEndpoint, timeoutMs: flags.runtimeRequestTimeout });
  }
  try {
    const plans: { header: PlanHeader; plan: PodPlan }[] = [];
    for (const pod of admitted) {
      const plan = await planPod({ pod, runtime, clock: io.now, node: { nodeName, hostIP, rootDir: flags.rootDir, sandbox: node.sandbox, container: node.container } });
      const m = pod.metadata ?? {};
      plans.push({ header: { pod: `${m.namespace}/${m.name}`, uid: m.uid ?? '', file: manifestPath, nodeName, runtime: flags.containerRuntimeEndpoint }, plan });
    }
    if (flags.output === 'json') io.out(planJSON(plans));
    else io.out(plans.map(({ header, plan }) => planYAML(header, plan)).join('---\n'));
  } catch (err) {
    io.err(`error: ${flags.containerRuntimeEndpoint ? `cannot read the runtime at ${flags.containerRuntimeEndpoint}: ` : ''}${(err as Error).message}\n`);
    return 1;
  } finally {
    runtime?.close();
  }
  return exit;
}
