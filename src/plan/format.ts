// Prints a pod's plan: YAML (the steps, with comments that tell the story) or JSON (the steps alone).
import YAML from 'yaml';
import type { ObservedPod } from '../runtime/types.js';
import { shortId } from '../trace/summary.js';
import type { PlanStep } from './dry-cri.js';
import type { PodPlan } from './simulate.js';

export interface PlanHeader {
  /** namespace/name */
  pod: string;
  uid: string;
  file: string;
  nodeName: string;
  /** The runtime endpoint read, or undefined offline. */
  runtime?: string;
}

/** What the runtime has of the pod, in a line. */
export function describeObserved(o: ObservedPod | undefined): string {
  if (!o) return 'nothing of this pod (no sandbox, no container)';
  const boxes = o.sandboxes.map((s) => `sandbox ${shortId(s.id)} (attempt ${s.attempt}, ${s.state}${s.ip ? `, ip ${s.ip}` : ''})`);
  const containers = o.containers.map((c) => `${c.name} #${c.restartCount} ${c.state}${c.state === 'exited' ? ` ${c.exitCode}` : ''}`);
  return [...boxes, containers.length ? `containers ${containers.join(', ')}` : 'no containers'].join('; ');
}

const comment = (text: string) => text.split('\n').map((l) => `# ${l}`).join('\n') + '\n';

/** The plan as YAML: a list of steps, each sync introduced by a comment, the story's end last. */
export function planYAML(h: PlanHeader, plan: PodPlan): string {
  let out = comment(`mini-kubelet plan: pod ${h.pod} (uid ${h.uid}) from ${h.file}, node ${h.nodeName}`);
  out += comment(
    h.runtime
      ? `the runtime (${h.runtime}) has ${describeObserved(plan.observed)}`
      : 'offline (no --container-runtime-endpoint): the node has nothing of this pod yet, and every image is taken as absent',
  );
  for (const s of plan.syncs) {
    const when = s.sync === 1 ? 'the next sync' : 'then, once the containers above run and init containers have exited 0';
    out += comment(`sync ${s.sync} (${when}): ${s.summary}`);
    out += s.steps.length ? YAML.stringify(s.steps.map(bare), { lineWidth: 0, aliasDuplicateObjects: false }) : comment('(no CRI call)');
    for (const w of s.waiting) out += comment(`after sync ${s.sync}, ${w.name} is not running: ${w.reason}: ${w.message}`);
  }
  out += comment(plan.end);
  for (const c of plan.caveats) out += comment(`note: ${c}`);
  if (plan.syncs.length === 0) out += '[]\n';
  return out;
}

/** The steps as JSON; with several pods, each step names its pod. */
export function planJSON(plans: { header: PlanHeader; plan: PodPlan }[]): string {
  const several = plans.length > 1;
  const steps = plans.flatMap(({ header, plan }) => plan.syncs.flatMap((s) => s.steps.map((st) => (several ? { pod: header.pod, ...bare(st) } : bare(st)))));
  return JSON.stringify(steps, null, 2) + '\n';
}

/** A step's fields in a stable order, empty ones left out. */
function bare(s: PlanStep): Record<string, unknown> {
  return {
    sync: s.sync,
    call: s.call,
    why: s.why,
    ...(s.request !== undefined ? { request: s.request } : {}),
    ...(s.answer !== undefined ? { answer: s.answer } : {}),
    ...(s.events?.length ? { events: s.events } : {}),
  };
}
