// Reaction: a container killed from outside the agent (CRI StopContainer, timeout 0); how soon /pods shows it, and how soon the restart begins.
//
// Each kill hits a different pod, so every restart is a first restart, which the crash-loop
// back-off lets through at once. A random pause before each kill spreads the kills over the
// phase of the 1 s relist timer, which is most of what is measured.
import type { V1Pod } from '@kubernetes/client-node';
import type { BenchAgent } from './lib/agent.js';
import { CONTAINER_NAME, containersByPod, type BenchRuntime } from './lib/runtime.js';
import { POD_UID_LABEL } from '../src/runtime/labels.js';
import { sleep, summarize, type Summary } from './lib/stats.js';

export interface ReactionResult {
  figure: 'reaction';
  kills: number;
  /** Kill → /pods shows the container dead or restarted (restartCount up, terminated or waiting). */
  statusMs: Summary;
  /** Kill → the replacement container exists in the runtime (CreateContainer done). */
  restartMs: Summary;
  agentErrors: number;
}

// A GET /pods of 100 pods costs the agent a few ms of CPU: polled every 20 ms it would be the
// agent's main work and slow the very reaction being measured; 50 ms costs at most 50 ms of bias.
const POLL_MS = 50;

/** The kill shows in status: a new restartCount, or a state that is no longer running. */
function deathShown(pod: V1Pod | undefined): boolean {
  const cs = pod?.status?.containerStatuses?.find((c) => c.name === CONTAINER_NAME);
  return !!cs && (cs.restartCount > 0 || !!cs.state?.terminated || !!cs.state?.waiting);
}

export async function runReaction(rt: BenchRuntime, agent: BenchAgent, opts: { kills: number; random?: () => number }): Promise<ReactionResult> {
  const random = opts.random ?? Math.random;
  const victims = [...(await containersByPod(rt.cri, agent.nodeName, 'CONTAINER_RUNNING')).entries()]
    .filter(([, c]) => c.metadata.attempt === 0)
    .slice(0, opts.kills);
  if (victims.length < opts.kills) throw new Error(`reaction: only ${victims.length} pods to kill`);
  const status: number[] = [];
  const restart: number[] = [];
  for (const [uid, c] of victims) {
    await sleep(200 + random() * 1000);
    const podName = c.labels['io.kubernetes.pod.name'];
    const t0 = Date.now();
    await rt.cri.stopContainer(c.id, 0);
    let tStatus = 0;
    let tRestart = 0;
    while (!tStatus || !tRestart) {
      if (Date.now() - t0 > 60_000) throw new Error(`reaction: no reaction to killing ${podName} in 60 s\n${agent.logTail()}`);
      const [pods, containers] = await Promise.all([
        tStatus ? undefined : agent.pods(),
        tRestart ? undefined : rt.cri.listContainers({ labelSelector: { [POD_UID_LABEL]: uid } }),
      ]);
      const now = Date.now();
      if (pods && deathShown(pods.find((p) => p.metadata?.name === podName))) tStatus = now;
      if (containers?.some((x) => x.metadata.attempt > 0)) tRestart = now;
      if (!tStatus || !tRestart) await sleep(POLL_MS);
    }
    status.push(tStatus - t0);
    restart.push(tRestart - t0);
  }
  return { figure: 'reaction', kills: victims.length, statusMs: summarize(status), restartMs: summarize(restart), agentErrors: agent.errorCount() };
}
