// Pod status end to end: `/pods` and `mini-kubelet get pods` through a pod's life on the real containerd.
import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { containerStatus, podYaml, startAgent, type Agent } from '../support/agent.js';
import { REPO_DIR } from '../support/runtime.js';

let agent: Agent;

before(async () => {
  agent = await startAgent({ name: 'status' });
});
after(async () => {
  await agent?.cleanup();
});

const run = promisify(execFile);

/** `mini-kubelet get pods ...` against the agent, as a user would type it. */
async function cli(...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [path.join(REPO_DIR, 'bin/mini-kubelet.js'), 'get', 'pods', '--server', `http://127.0.0.1:${agent.port}`, ...args], {
    cwd: REPO_DIR,
    // Generous: on a loaded machine starting node alone can take many seconds.
    timeout: 120_000,
  });
  return stdout;
}

/** The table row of one pod, by column header (NAMESPACE, NAME, READY, STATUS, RESTARTS, AGE). */
async function row(name: string): Promise<Record<string, string> | undefined> {
  const lines = (await cli()).trimEnd().split('\n');
  const header = lines[0]!.trim().split(/\s{2,}/);
  const line = lines.slice(1).find((l) => l.trim().split(/\s{2,}/)[header.indexOf('NAME')] === full(name));
  if (!line) return undefined;
  const cells = line.trim().split(/\s{2,}/);
  return Object.fromEntries(header.map((h, i) => [h, cells[i] ?? '']));
}

/** `get pods <name> -o json`. */
async function json(name: string): Promise<V1Pod> {
  return JSON.parse(await cli(full(name), '-o', 'json')) as V1Pod;
}

/** How soon a stop made behind the agent's back must show in /pods: a relist (1 s) plus a loaded machine's slack. */
const STOP_SHOWN_BOUND_MS = Number(process.env.MK_E2E_STATUS_BOUND_MS) || 5000;

const full = (name: string) => `${name}-${agent.nodeName}`;
const cond = (pod: V1Pod | undefined, type: string) => pod?.status?.conditions?.find((c) => c.type === type);

/** Each kubelet condition with its status (and reason when given); all carry a lastTransitionTime. */
function assertConditions(pod: V1Pod, want: Record<string, string>): void {
  for (const [type, expected] of Object.entries(want)) {
    const [status, reason] = expected.split(':');
    const c = cond(pod, type);
    assert.ok(c, `condition ${type} present`);
    assert.equal(c.status, status, `${type} is ${status}`);
    if (reason) assert.equal(c.reason, reason, `${type} reason`);
    assert.ok(c.lastTransitionTime, `${type} has a lastTransitionTime`);
  }
}

/** Waits until /pods shows the pod in `phase` and `check` holds, then returns it. */
function waitPod(name: string, what: string, check: (p: V1Pod) => boolean, timeoutMs = 60_000): Promise<V1Pod> {
  return agent.waitFor(`${name}: ${what}`, async () => {
    const p = await agent.pod(name);
    return p && check(p) ? p : undefined;
  }, timeoutMs);
}

describe('pod status through a pod\'s life', { concurrency: true }, () => {
  it('Pending (initializing) → Running → Succeeded, in /pods, get pods and get pods -o json', async () => {
    // Each stage lasts until the test releases it through a file in a hostPath volume, however slow the machine.
    const gate = mkdtempSync(path.join(tmpdir(), 'mk-e2e-life-'));
    chmodSync(gate, 0o755);
    const untilFile = (file: string) => `until [ -e /gate/${file} ]; do sleep 0.2; done`;
    agent.writeManifest('life.yaml', podYaml('life', `
  restartPolicy: Never
  volumes:
    - name: gate
      hostPath: { path: ${gate}, type: Directory }
  initContainers:
    - name: setup
      image: busybox:1.36
      command: ["sh", "-c", "${untilFile('setup-done')}"]
      volumeMounts: [{ name: gate, mountPath: /gate }]
  containers:
    - name: main
      image: busybox:1.36
      command: ["sh", "-c", "${untilFile('main-done')}; echo done"]
      volumeMounts: [{ name: gate, mountPath: /gate }]
`));
    const pending = await waitPod('life', 'Pending with setup running', (p) => p.status?.phase === 'Pending' && !!containerStatus(p, 'setup')?.state?.running);
    assertConditions(pending, { PodScheduled: 'True', PodReadyToStartContainers: 'True', Initialized: 'False:ContainersNotInitialized', ContainersReady: 'False:ContainersNotReady', Ready: 'False:ContainersNotReady' });
    assert.equal(containerStatus(pending, 'main')?.state?.waiting?.reason, 'PodInitializing');
    assert.equal(pending.status?.qosClass, 'BestEffort');
    assert.ok(pending.status?.startTime && pending.status.podIP && pending.status.hostIP, 'startTime, podIP and hostIP are set');
    const pendingRow = await row('life');
    assert.equal(pendingRow?.STATUS, 'Init:0/1');
    assert.equal(pendingRow?.READY, '0/1');
    writeFileSync(path.join(gate, 'setup-done'), '');

    const running = await waitPod('life', 'Running', (p) => p.status?.phase === 'Running' && !!containerStatus(p, 'main')?.state?.running);
    assertConditions(running, { PodScheduled: 'True', PodReadyToStartContainers: 'True', Initialized: 'True', ContainersReady: 'True', Ready: 'True' });
    const setup = containerStatus(running, 'setup')!;
    assert.equal(setup.state?.terminated?.reason, 'Completed');
    assert.equal(setup.state?.terminated?.exitCode, 0);
    const main = containerStatus(running, 'main')!;
    assert.match(main.containerID ?? '', /^containerd:\/\/[0-9a-f]{64}$/);
    assert.ok(main.imageID, 'imageID is set');
    assert.equal(main.ready, true);
    assert.equal(main.started, true);
    assert.equal(main.restartCount, 0);
    const runningRow = await row('life');
    assert.deepEqual([runningRow?.READY, runningRow?.STATUS, runningRow?.RESTARTS], ['1/1', 'Running', '0']);
    assert.equal((await json('life')).status?.phase, 'Running');
    writeFileSync(path.join(gate, 'main-done'), '');

    const done = await waitPod('life', 'Succeeded', (p) => p.status?.phase === 'Succeeded', 60_000);
    assertConditions(done, { PodScheduled: 'True', Initialized: 'True:PodCompleted', ContainersReady: 'False:PodCompleted', Ready: 'False:PodCompleted' });
    const finished = containerStatus(done, 'main')!;
    assert.equal(finished.state?.terminated?.reason, 'Completed');
    assert.equal(finished.state?.terminated?.exitCode, 0);
    assert.equal(finished.ready, false);
    const doneRow = await row('life');
    assert.deepEqual([doneRow?.READY, doneRow?.STATUS, doneRow?.RESTARTS], ['0/1', 'Completed', '0']);
    const asJson = await json('life');
    assert.equal(asJson.status?.phase, 'Succeeded');
    assert.equal(containerStatus(asJson, 'main')?.state?.terminated?.exitCode, 0);
    // A finished pod's sandbox is stopped: no new container can start in it.
    await waitPod('life', 'PodReadyToStartContainers False once finished', (p) => cond(p, 'PodReadyToStartContainers')?.status === 'False', 30_000);
    rmSync(gate, { recursive: true, force: true });
  });

  it('Failed: a container of a restartPolicy Never pod exits non-zero', async () => {
    agent.writeManifest('fails.yaml', podYaml('fails', `
  restartPolicy: Never
  containers:
    - name: main
      image: busybox:1.36
      command: ["sh", "-c", "sleep 1; exit 3"]
`));
    const failed = await waitPod('fails', 'Failed', (p) => p.status?.phase === 'Failed');
    assertConditions(failed, { PodScheduled: 'True', Initialized: 'True', ContainersReady: 'False:PodFailed', Ready: 'False:PodFailed' });
    const main = containerStatus(failed, 'main')!;
    assert.equal(main.state?.terminated?.reason, 'Error');
    assert.equal(main.state?.terminated?.exitCode, 3);
    assert.equal(main.restartCount, 0);
    const r = await row('fails');
    assert.deepEqual([r?.READY, r?.STATUS, r?.RESTARTS], ['0/1', 'Error', '0']);
    assert.equal((await json('fails')).status?.phase, 'Failed');
  });

  it('CrashLoopBackOff: restartCount grows, lastState holds the exit, the pod is Running but not Ready', async () => {
    agent.writeManifest('crash.yaml', podYaml('crash', `
  containers:
    - name: crasher
      image: busybox:1.36
      command: ["sh", "-c", "sleep 1; exit 2"]
`));
    const p = await waitPod('crash', 'CrashLoopBackOff', (x) => containerStatus(x, 'crasher')?.state?.waiting?.reason === 'CrashLoopBackOff', 90_000);
    assert.equal(p.status?.phase, 'Running');
    assertConditions(p, { PodScheduled: 'True', PodReadyToStartContainers: 'True', Initialized: 'True', ContainersReady: 'False:ContainersNotReady', Ready: 'False:ContainersNotReady' });
    const cs = containerStatus(p, 'crasher')!;
    assert.ok(cs.restartCount >= 1, `restartCount ${cs.restartCount}`);
    assert.equal(cs.lastState?.terminated?.exitCode, 2);
    assert.equal(cs.lastState?.terminated?.reason, 'Error');
    assert.match(cs.state?.waiting?.message ?? '', /back-off \d+\S* restarting failed container=crasher/);
    const r = await agent.waitFor('crash in CrashLoopBackOff in get pods', async () => {
      const x = await row('crash');
      return x?.STATUS === 'CrashLoopBackOff' ? x : undefined;
    }, 30_000);
    assert.equal(r.READY, '0/1');
    assert.match(r.RESTARTS!, /^[1-9]\d* \(\S+ ago\)$/);
  });

  it('ErrImagePull, then ImagePullBackOff, for an image the registry does not have', async () => {
    agent.writeManifest('noimage.yaml', podYaml('noimage', `
  containers:
    - name: app
      image: busybox:does-not-exist
`));
    const pulling = await waitPod('noimage', 'ErrImagePull', (p) => containerStatus(p, 'app')?.state?.waiting?.reason === 'ErrImagePull');
    assert.equal(pulling.status?.phase, 'Pending');
    assert.match(containerStatus(pulling, 'app')?.state?.waiting?.message ?? '', /does-not-exist.*not found/);
    assertConditions(pulling, { PodScheduled: 'True', PodReadyToStartContainers: 'True', Initialized: 'True', ContainersReady: 'False:ContainersNotReady', Ready: 'False:ContainersNotReady' });
    const backOff = await waitPod('noimage', 'ImagePullBackOff', (p) => containerStatus(p, 'app')?.state?.waiting?.reason === 'ImagePullBackOff', 60_000);
    assert.match(containerStatus(backOff, 'app')?.state?.waiting?.message ?? '', /Back-off pulling image "busybox:does-not-exist"/);
    const r = await agent.waitFor('noimage in get pods', async () => {
      const x = await row('noimage');
      return x && ['ErrImagePull', 'ImagePullBackOff'].includes(x.STATUS!) ? x : undefined;
    }, 30_000);
    assert.deepEqual([r.READY, r.RESTARTS], ['0/1', '0']);
    assert.equal((await json('noimage')).status?.phase, 'Pending');
  });

  it(`a container stopped from outside (CRI StopContainer) shows in /pods within ${STOP_SHOWN_BOUND_MS / 1000} s`, async (t) => {
    agent.writeManifest('poked.yaml', podYaml('poked', `
  containers:
    - name: main
      image: busybox:1.36
      command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
`));
    const before = await waitPod('poked', 'Running and ready', (p) => cond(p, 'Ready')?.status === 'True');
    const oldId = containerStatus(before, 'main')!.containerID!;
    await agent.cri.stopContainer(oldId.replace('containerd://', ''), 10);
    const stoppedAt = Date.now();
    // Either the dead container itself, or (restartPolicy Always) its successor with it as lastState.
    // Polled every 100 ms (not waitFor's 250) so the poll itself adds little to what is measured.
    let after: V1ContainerStatus | undefined;
    while (!after && Date.now() - stoppedAt < Math.max(10_000, 2 * STOP_SHOWN_BOUND_MS)) {
      const cs = containerStatus(await agent.pod('poked'), 'main');
      const seen = (cs?.containerID === oldId && cs.state?.terminated) || (cs?.lastState?.terminated?.containerID === oldId && cs.restartCount >= 1);
      if (seen) after = cs;
      else await new Promise((r) => setTimeout(r, 100));
    }
    const elapsed = Date.now() - stoppedAt;
    assert.ok(after, 'the stop shows in /pods at all');
    t.diagnostic(`the stop showed in /pods after ${elapsed} ms`);
    assert.ok(elapsed <= STOP_SHOWN_BOUND_MS, `status changed after ${elapsed}ms (bound ${STOP_SHOWN_BOUND_MS}ms)`);
    const terminated = after.state?.terminated ?? after.lastState?.terminated;
    assert.equal(terminated?.exitCode, 0);
  });
});
