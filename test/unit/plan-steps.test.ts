// `plan` as named table cases: the CRI calls the agent would make for a pod, in order, with the planner's why; image pull policies against present and absent images; a running pod's next sync; a bad file gets the agent's errors.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import pino from 'pino';
import { createFileSource } from '../../src/config/file-source.js';
import { parseManifest } from '../../src/config/manifest.js';
import type { SourceSnapshot } from '../../src/config/types.js';
import type { CriRuntime } from '../../src/cri/types.js';
import { runPlan, type PlanFlags } from '../../src/cli/plan-run.js';
import { planPod, type PodPlan } from '../../src/plan/simulate.js';
import { FakeCri } from '../support/fake-cri.js';
import { makeHarness, NODE } from '../support/syncer-harness.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const clock = () => T0;
const node = { nodeName: NODE, hostIP: '192.0.2.10', rootDir: '/var/lib/mini-kubelet', sandbox: { nodeName: NODE, podLogsDir: '/var/log/pods' }, container: {} };

/** A manifest decoded, defaulted, validated and identified as the agent's file source does it. */
function decode(yaml: string): V1Pod {
  const { pods, errors } = parseManifest(yaml, { path: '/etc/kubernetes/manifests/pod.yaml', nodeName: NODE });
  assert.deepEqual(errors, []);
  return pods[0]!;
}

const manifest = (spec: string) => `apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n${spec.replace(/^\n/, '')}`;
const one = (image = 'busybox:1.36', policy = 'IfNotPresent') => manifest(`
  containers:
    - name: app
      image: ${image}
      imagePullPolicy: ${policy}
`);

/** "sync call (why)" for the calls that change or decide something: the re-inspections left out. */
function calls(plan: PodPlan): string[] {
  return plan.syncs.flatMap((s) => s.steps.filter((st) => st.why !== 're-inspect the pod after acting on it').map((st) => `${s.sync} ${st.call} (${st.why})`));
}
/** The containers started in each sync, in order. */
const startsBySync = (plan: PodPlan) => plan.syncs.map((s) => s.steps.filter((st) => st.call === 'CreateContainer').map((st) => (st.request as { config: { metadata: { name: string } } }).config.metadata.name));

interface Case {
  name: string;
  yaml: string;
  /** The runtime as the plan reads it; none: offline. */
  runtime?: () => CriRuntime;
  check: (plan: PodPlan) => void;
}

const withImage = (...images: string[]) => () => {
  const fake = new FakeCri({ now: clock });
  for (const i of images) fake.addImage(i);
  return fake;
};

const cases: Case[] = [
  {
    name: 'a simple pod, offline: images asked while the sandbox is made, then pull, create, start; then nothing more',
    yaml: one(),
    check: (plan) => {
      assert.deepEqual(calls(plan), [
        '1 ImageStatus (look up the images of app)',
        '1 RunPodSandbox (create sandbox (attempt 0): no sandbox for the pod yet)',
        '1 PodSandboxStatus (create sandbox (attempt 0): no sandbox for the pod yet)',
        '1 PullImage (start container app: not started yet)',
        '1 ImageStatus (start container app: not started yet)',
        '1 CreateContainer (start container app: not started yet)',
        '1 StartContainer (start container app: not started yet)',
      ]);
      const first = plan.syncs[0]!.steps[0]!;
      assert.equal(first.answer, 'absent (offline: taken as absent)');
      const run = plan.syncs[0]!.steps.find((s) => s.call === 'RunPodSandbox')!.request as { config: { metadata: Record<string, unknown> }; runtimeHandler: string };
      assert.deepEqual({ ...run.config.metadata, uid: '-' }, { name: `p-${NODE}`, uid: '-', namespace: 'default', attempt: 0 });
      assert.equal(run.runtimeHandler, '');
      const create = plan.syncs[0]!.steps.find((s) => s.call === 'CreateContainer')!;
      assert.deepEqual(create.events, ['Normal Created: Created container app']);
      assert.match(plan.end, /^then nothing more to do/);
    },
  },
  {
    name: 'init containers one per sync, a sidecar started before the next init container, the app last',
    yaml: manifest(`
  initContainers:
    - name: init1
      image: busybox:1.36
    - name: proxy
      image: busybox:1.36
      restartPolicy: Always
    - name: init2
      image: busybox:1.36
  containers:
    - name: app
      image: busybox:1.36
`),
    runtime: withImage('busybox:1.36'),
    check: (plan) => {
      assert.deepEqual(startsBySync(plan), [['init1'], ['proxy'], ['init2'], ['app']]);
      assert.deepEqual(plan.syncs.map((s) => s.summary), [
        'create sandbox (attempt 0): no sandbox for the pod yet; start init container init1: new sandbox',
        'start sidecar proxy: init container init1 completed',
        'start init container init2: sidecar proxy started',
        'start container app: not started yet',
      ]);
    },
  },
  {
    name: 'imagePullPolicy Always, image present: not looked up ahead, and pulled all the same',
    yaml: one('busybox:1.36', 'Always'),
    runtime: withImage('busybox:1.36'),
    check: (plan) => {
      // As the kubelet's EnsureImageExists: GetImageRef (ImageStatus) first, whatever the policy.
      assert.deepEqual(calls(plan).filter((c) => /Image/.test(c)), [
        '1 ImageStatus (start container app: not started yet)',
        '1 PullImage (start container app: not started yet)',
        '1 ImageStatus (start container app: not started yet)',
      ]);
    },
  },
  {
    name: 'imagePullPolicy IfNotPresent, image present: look-up only, no pull',
    yaml: one('busybox:1.36', 'IfNotPresent'),
    runtime: withImage('busybox:1.36'),
    check: (plan) => {
      assert.deepEqual(calls(plan).filter((c) => /Image/.test(c)), ['1 ImageStatus (look up the images of app)']);
      assert.match(plan.syncs[0]!.steps[0]!.answer!, /^present [0-9a-f]{13}$/);
    },
  },
  {
    name: 'imagePullPolicy IfNotPresent, image absent: look-up, pull',
    yaml: one('busybox:1.36', 'IfNotPresent'),
    runtime: withImage(),
    check: (plan) => {
      assert.deepEqual(calls(plan).filter((c) => /Image/.test(c)), [
        '1 ImageStatus (look up the images of app)',
        '1 PullImage (start container app: not started yet)',
        '1 ImageStatus (start container app: not started yet)',
      ]);
      assert.equal(plan.syncs[0]!.steps[0]!.answer, 'absent');
    },
  },
  {
    name: 'imagePullPolicy Never, image present: look-up, no pull, the container starts',
    yaml: one('busybox:1.36', 'Never'),
    runtime: withImage('busybox:1.36'),
    check: (plan) => {
      assert.deepEqual(calls(plan).filter((c) => /Image/.test(c)), ['1 ImageStatus (look up the images of app)']);
      assert.deepEqual(startsBySync(plan), [['app']]);
    },
  },
  {
    name: 'imagePullPolicy Never, image absent: no pull, no container, ErrImageNeverPull, and the plan stops there',
    yaml: one('busybox:1.36', 'Never'),
    runtime: withImage(),
    check: (plan) => {
      assert.ok(!calls(plan).some((c) => /PullImage|CreateContainer/.test(c)));
      assert.deepEqual(plan.syncs[0]!.waiting, [{ name: 'app', reason: 'ErrImageNeverPull', message: 'Container image "busybox:1.36" is not present with pull policy of Never' }]);
      assert.match(plan.end, /^stops here: app ErrImageNeverPull/);
      const step = plan.syncs[0]!.steps.find((s) => s.events?.some((e) => e.startsWith('Warning ErrImageNeverPull')));
      assert.ok(step, 'the Warning event is shown');
    },
  },
];

describe('plan: the CRI calls the agent would make', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const plan = await planPod({ pod: decode(c.yaml), node, runtime: c.runtime?.(), clock });
      c.check(plan);
    });
  }

  it("a field the node cannot honour (hostNetwork with --allow-host-namespaces=false): no sandbox, the agent's error", async () => {
    const policy = { allowPrivileged: true, allowHostNamespaces: false, allowHostPath: true };
    const hostNetwork = manifest(`
  hostNetwork: true
  containers:
    - name: app
      image: busybox:1.36
`);
    const plan = await planPod({ pod: decode(hostNetwork), node: { ...node, sandbox: { ...node.sandbox, policy }, container: { policy } }, clock });
    assert.ok(!calls(plan).some((c) => /RunPodSandbox|CreateContainer/.test(c)));
    assert.equal(plan.syncs[0]!.waiting[0]!.reason, 'CreateContainerConfigError');
    assert.match(plan.syncs[0]!.waiting[0]!.message, /specified hostNetwork, but is disallowed by --allow-host-namespaces=false/);
  });
});

describe('plan against a runtime that runs the pod', () => {
  const podYaml = one('busybox:1.36', 'IfNotPresent');

  /** The agent (its real syncer over the fake runtime) runs the pod first. */
  async function running() {
    const h = makeHarness();
    h.cri.addImage('busybox:1.36');
    const pod = decode(podYaml);
    await h.sync(pod);
    return { h, pod };
  }

  it('a pod that runs as its spec says: nothing to do, and nothing sent', async () => {
    const { h, pod } = await running();
    h.resetCalls();
    const plan = await planPod({ pod, node, runtime: h.cri, clock: h.now });
    assert.deepEqual(plan.syncs, []);
    assert.match(plan.end, /^nothing to do/);
    assert.deepEqual(h.writes(), [], 'plan only reads the runtime');
  });

  it("a container that exited: the restart with the planner's reason, and a note on the back-off plan cannot know", async () => {
    const { h, pod } = await running();
    h.cri.exitContainer([...h.cri.containers.keys()][0]!, 1);
    h.resetCalls();
    const plan = await planPod({ pod, node, runtime: h.cri, clock: h.now });
    assert.equal(plan.syncs[0]!.summary, 'start container app (restart 1): exited with code 1, restartPolicy Always');
    const create = plan.syncs[0]!.steps.find((s) => s.call === 'CreateContainer')!.request as { podSandboxId: string; config: { metadata: { attempt: number } } };
    assert.equal(create.podSandboxId, [...h.cri.sandboxes.keys()][0], 'in the sandbox that runs');
    assert.equal(create.config.metadata.attempt, 1);
    assert.match(plan.caveats.join('\n'), /CrashLoopBackOff/);
    assert.deepEqual(h.writes(), [], 'plan only reads the runtime');
  });

  it('a changed spec: the old container is killed (SpecChanged), the new one started', async () => {
    const { h } = await running();
    // The same pod (UID and all) with another command: as an API pod's spec would change.
    const { pod } = await running();
    const changed = { ...pod, spec: { ...pod.spec!, containers: [{ ...pod.spec!.containers[0]!, command: ['sleep', '1'] }] } };
    const plan = await planPod({ pod: changed, node, runtime: h.cri, clock: h.now });
    assert.equal(plan.syncs[0]!.summary, 'kill container app: Container app definition changed, will be restarted; start container app (restart 1): Container app definition changed, will be restarted');
    assert.ok(calls(plan).includes('1 StopContainer (kill container app: Container app definition changed, will be restarted)'));
  });
});

describe("plan FILE: a bad file gets the agent's errors", () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'mk-plan-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const flags: PlanFlags = {
    output: 'yaml', rootDir: path.join(dir, 'root'), podLogsDir: '/var/log/pods', maxPods: 110, cgroupRoot: '/', cgroupsPerQos: false,
    allowPrivileged: true, allowHostNamespaces: true, allowHostPath: true, allowedUnsafeSysctls: [], resolvConf: '', clusterDns: [],
    hostnameOverride: NODE, runtimeRequestTimeout: 1000, nodeLabels: {},
  };

  it('exits 1 with exactly the errors the file source reports for the same file', async () => {
    const file = path.join(dir, 'bad.yaml');
    writeFileSync(file, 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: Bad_Name\nspec:\n  containers:\n    - name: a\n      image: busybox\n      ports:\n        - containerPort: 99999\n');
    let err = '';
    let out = '';
    const code = await runPlan(file, flags, { out: (s) => (out += s), err: (s) => (err += s), now: clock });
    assert.equal(code, 1);
    assert.equal(out, '');
    // The agent's own file source, reading the same directory:
    let snapshot: SourceSnapshot | undefined;
    const source = createFileSource({ manifestDir: dir, nodeName: NODE, logger: pino({ level: 'silent' }) });
    await source.start((s) => (snapshot = s));
    await source.stop();
    const agentErrors = snapshot!.errors.map((e) => e.message);
    assert.equal(agentErrors.length, 1);
    assert.match(agentErrors[0]!, /metadata\.name: Invalid value: "Bad_Name"/);
    assert.match(agentErrors[0]!, /containerPort: Invalid value: 99999/);
    assert.ok(err.includes(agentErrors[0]!), `plan printed the agent's message:\n${err}`);
    rmSync(file);
  });

  it('a good file: exit 0, YAML steps with comments, nothing made on the host', async () => {
    const file = path.join(dir, 'good.yaml');
    writeFileSync(file, one());
    let out = '';
    const code = await runPlan(file, flags, { out: (s) => (out += s), err: () => {}, now: clock });
    assert.equal(code, 0);
    assert.match(out, /^# mini-kubelet plan: pod default\/p-node-a \(uid [0-9a-f]{32}\)/);
    assert.match(out, /\n- sync: 1\n  call: RunPodSandbox\n/);
    assert.ok(!out.includes('&a'), 'no YAML anchors: every request is printed whole');
    const json: string[] = [];
    assert.equal(await runPlan(file, { ...flags, output: 'json' }, { out: (s) => json.push(s), err: () => {}, now: clock }), 0);
    const steps = JSON.parse(json.join('')) as { call: string }[];
    assert.deepEqual(steps.slice(0, 2).map((s) => s.call), ['ImageStatus', 'RunPodSandbox']);
    const { existsSync } = await import('node:fs');
    assert.equal(existsSync(flags.rootDir), false, 'no root dir, no pod dir, no volume made');
    rmSync(file);
  });
});
