// Restart safety end to end: kill -9 of the agent while pods start, a restart, and nothing duplicated, restarted or foreign touched.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Container, PodSandboxConfig } from '../../src/cri/types.js';
import { CONTAINER_NAME_LABEL, ownershipSelector, POD_NAME_LABEL, POD_NAMESPACE_LABEL, POD_UID_LABEL } from '../../src/runtime/labels.js';
import { containerStatus, podYaml, startAgent, type Agent } from '../support/agent.js';

const BURST = 5;
let agent: Agent;
/** Sandboxes made straight through CRI, as another client would: no ownership label, or another node's. */
const foreign: { id: string; uid: string; containerId: string; ready: boolean }[] = [];
let foreignLogs = '';

const sleeper = (name: string, containers: string[]) =>
  podYaml(name, `
  terminationGracePeriodSeconds: 2
  containers:
${containers.map((c) => `    - name: ${c}\n      image: busybox:1.36\n      command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]\n`).join('')}`);

/** A sandbox (and one container in it) of another CRI client; `stopped` leaves it NOTREADY with an exited container. */
async function makeForeign(name: string, labels: Record<string, string>, stopped: boolean) {
  const uid = randomUUID();
  const config: PodSandboxConfig = {
    metadata: { name, namespace: 'other', uid, attempt: 0 },
    logDirectory: path.join(foreignLogs, uid),
    labels: { ...labels, [POD_UID_LABEL]: uid, [POD_NAME_LABEL]: name, [POD_NAMESPACE_LABEL]: 'other' },
    linux: {},
  };
  mkdirSync(config.logDirectory!, { recursive: true });
  const id = await agent.cri.runPodSandbox(config);
  const containerId = await agent.cri.createContainer(id, {
    metadata: { name: 'app', attempt: 0 },
    image: { image: 'busybox:1.36' },
    command: ['sh', '-c', 'sleep 3600'],
    labels: { ...config.labels, [CONTAINER_NAME_LABEL]: 'app' },
    logPath: 'app.log',
    linux: {},
  }, config);
  await agent.cri.startContainer(containerId);
  if (stopped) await agent.cri.stopPodSandbox(id);
  // A log directory for it under the agent's --pod-logs-dir too: a pod another client still has keeps its logs.
  mkdirSync(path.join(agent.podLogsDir, `other_${name}_${uid}`), { recursive: true });
  foreign.push({ id, uid, containerId, ready: !stopped });
}

/** This agent's sandboxes and containers for one pod, from containerd itself. */
async function runtimeOf(name: string) {
  const labelSelector = { ...ownershipSelector(agent.nodeName), [POD_NAME_LABEL]: `${name}-${agent.nodeName}` };
  const [sandboxes, containers] = await Promise.all([agent.cri.listPodSandbox({ labelSelector }), agent.cri.listContainers({ labelSelector })]);
  return { sandboxes, containers };
}

/** For failure messages: what containerd holds, and what the agent logged about one pod UID. */
function describeContainers(cs: Container[]): string {
  return JSON.stringify(cs.map((c) => ({ id: c.id.slice(0, 12), attempt: c.metadata.attempt, state: c.state, createdAt: new Date(c.createdAt / 1e6).toISOString() })));
}
function agentLines(uid: string): string {
  return agent.output().split('\n').filter((l) => l.includes(uid) || l.includes('"level":50')).slice(-40).join('\n');
}

async function startedAt(c: Container): Promise<number> {
  return (await agent.cri.containerStatus(c.id)).startedAt;
}

before(async () => {
  agent = await startAgent({ name: 'restart', extraArgs: ['--container-gc-period', '2s'] });
  foreignLogs = mkdtempSync(path.join(tmpdir(), 'mk-e2e-foreign-'));
  await agent.cri.pullImage({ image: 'busybox:1.36' });
  await makeForeign(`foreign-ready-${agent.nodeName}`, { 'example.com/owner': 'another-client' }, false);
  await makeForeign(`foreign-dead-${agent.nodeName}`, { 'example.com/owner': 'another-client' }, true);
  await makeForeign(`other-node-${agent.nodeName}`, ownershipSelector(`${agent.nodeName}-other`), true);
});

after(async () => {
  await agent?.stop('SIGKILL');
  for (const f of foreign) {
    await agent.cri.stopPodSandbox(f.id).catch(() => undefined);
    await agent.cri.removePodSandbox(f.id).catch(() => undefined);
  }
  if (foreignLogs) rmSync(foreignLogs, { recursive: true, force: true });
  await agent?.cleanup();
});

describe('restart safety', { timeout: 600_000 }, () => {
  it('kill -9 while pods start, then a restart: one sandbox per pod, one running container per spec, running ones untouched, removed manifest terminated, foreign objects untouched', async (t) => {
    // Two pods settle first: one keeps running through the crash, one loses its manifest while the agent is down.
    agent.writeManifest('steady.yaml', sleeper('steady', ['a', 'b']));
    agent.writeManifest('doomed.yaml', sleeper('doomed', ['main']));
    for (const name of ['steady', 'doomed']) {
      await agent.waitFor(`${name} ready`, async () => (await agent.pod(name))?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'), 120_000);
    }
    const steadyBefore = (await runtimeOf('steady')).containers;
    assert.equal(steadyBefore.length, 2);
    const steadyStarted = new Map(await Promise.all(steadyBefore.map(async (c) => [c.id, await startedAt(c)] as const)));

    // The burst: kill -9 as soon as the first of its containers runs, while the rest are still starting.
    const names = Array.from({ length: BURST }, (_, i) => `burst-${i}`);
    for (const name of names) agent.writeManifest(`${name}.yaml`, sleeper(name, ['web', 'side']));
    const burstSelector = { ...ownershipSelector(agent.nodeName) };
    const isBurst = (labels: Record<string, string>) => (labels[POD_NAME_LABEL] ?? '').startsWith('burst-');
    await agent.waitFor('a burst container running', async () => {
      const cs = await agent.cri.listContainers({ labelSelector: burstSelector, state: { state: 'CONTAINER_RUNNING' } });
      return cs.some((c) => isBurst(c.labels));
    }, 120_000);
    await agent.stop('SIGKILL');
    const killedAt = Date.now();

    const atKill = (await agent.cri.listContainers({ labelSelector: burstSelector })).filter((c) => isBurst(c.labels));
    const runningAtKill = atKill.filter((c) => c.state === 'CONTAINER_RUNNING');
    const runningStarted = new Map(await Promise.all(runningAtKill.map(async (c) => [c.id, await startedAt(c)] as const)));
    const sandboxesAtKill = (await agent.cri.listPodSandbox({ labelSelector: burstSelector })).filter((s) => isBurst(s.labels));
    t.diagnostic(`at kill -9: ${sandboxesAtKill.length}/${BURST} burst sandboxes, ${atKill.length}/${BURST * 2} containers, ${runningAtKill.length} running`);

    agent.removeManifest('doomed.yaml');
    const logOffset = agent.output().length;
    await agent.restart();

    for (const name of names) {
      const pod = await agent.waitFor(`${name} ready after the restart`, async () => {
        const p = await agent.pod(name);
        return p?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? p : undefined;
      }, 180_000);
      const { sandboxes, containers } = await runtimeOf(name);
      assert.equal(sandboxes.filter((s) => s.state === 'SANDBOX_READY').length, 1, `${name}: exactly one ready sandbox`);
      assert.equal(sandboxes.length, 1, `${name}: no second sandbox, not even a dead one`);
      for (const spec of ['web', 'side']) {
        const mine = containers.filter((c) => c.labels[CONTAINER_NAME_LABEL] === spec);
        const why = `${name}/${spec}: ${describeContainers(mine)}\n${agentLines(pod.metadata!.uid!)}`;
        const live = mine.filter((c) => c.state === 'CONTAINER_RUNNING');
        assert.equal(live.length, 1, `exactly one running container for ${why}`);
        // The one other instance allowed is a casualty of the kill, not a duplicate: the agent died
        // inside StartContainer, containerd cancelled the start and ended the container with
        // StartError (exit 128), and the restarted agent restarted it as restartCount 1, as the
        // kubelet does. Two containers with the same attempt are impossible (containerd reserves the name).
        const casualties = mine.filter((c) => c !== live[0]);
        assert.ok(casualties.length <= 1, `at most one dead instance for ${why}`);
        // The container GC (every 2 s here) may already have removed the casualty: while its
        // successor is created but not yet started, both are non-running and only the newest is
        // kept (kubelet evictableContainers skips only running ones). Then the casualty is an
        // instance known at the kill that is gone now, one attempt before the live one.
        const gone = atKill.filter(
          (c) => c.labels[POD_NAME_LABEL] === `${name}-${agent.nodeName}` && c.labels[CONTAINER_NAME_LABEL] === spec && c.id !== live[0]!.id && !mine.some((m) => m.id === c.id),
        );
        assert.ok(gone.length <= 1 && casualties.length + gone.length <= 1, `one earlier instance at most (dead or collected) for ${why}`);
        for (const collected of gone) {
          assert.equal(live[0]!.metadata.attempt, collected.metadata.attempt + 1, `the restart is the next attempt after the collected one: ${why}`);
          t.diagnostic(`${name}/${spec}: the instance cut short by the kill was already garbage collected; restarted once`);
        }
        for (const dead of casualties) {
          const st = await agent.cri.containerStatus(dead.id);
          assert.deepEqual([st.state, st.exitCode, st.reason, st.startedAt], ['CONTAINER_EXITED', 128, 'StartError', 0], `only a start cut short by the kill: ${why}`);
          assert.ok(dead.createdAt / 1e6 <= killedAt, `created before the kill: ${why}`);
          assert.ok(atKill.some((c) => c.id === dead.id), `known at the kill: ${why}`);
          assert.equal(live[0]!.metadata.attempt, dead.metadata.attempt + 1, `the restart is the next attempt: ${why}`);
        }
        assert.ok(mine.every((c) => c.podSandboxId === sandboxes[0]!.id), `all in the one sandbox: ${why}`);
        assert.equal(containerStatus(pod, spec)?.containerID, `containerd://${live[0]!.id}`);
        assert.equal(containerStatus(pod, spec)?.restartCount, casualties.length + gone.length, `restartCount for ${why}`);
        if (casualties.length) t.diagnostic(`${name}/${spec}: its StartContainer was cut short by the kill (StartError); restarted once`);
      }
    }

    // What ran at the kill runs on: same container, same start time.
    for (const [id, started] of [...runningStarted, ...steadyStarted]) {
      const s = await agent.cri.containerStatus(id);
      assert.equal(s.state, 'CONTAINER_RUNNING', `${id} still running`);
      assert.equal(s.startedAt, started, `${id} not restarted`);
    }
    const steady = await agent.pod('steady');
    assert.equal(steady?.status?.phase, 'Running');
    for (const c of steadyBefore) {
      const cs = containerStatus(steady, c.labels[CONTAINER_NAME_LABEL]!);
      assert.equal(cs?.containerID, `containerd://${c.id}`);
      assert.equal(cs?.restartCount, 0);
    }
    assert.equal((await runtimeOf('steady')).containers.length, 2);

    // The manifest removed while the agent was down: its pod is stopped and removed.
    await agent.waitFor('doomed terminated and removed', async () => {
      const { sandboxes, containers } = await runtimeOf('doomed');
      return sandboxes.length === 0 && containers.length === 0;
    }, 60_000);
    assert.equal(await agent.pod('doomed'), undefined);

    // Let the GC run at least twice after the restart, then: every foreign object as it was.
    await agent.waitFor('two GC passes after the restart', () => (agent.output().slice(logOffset).match(/"msg":"container GC/g)?.length ?? 0) >= 2, 30_000);
    for (const f of foreign) {
      const [sb] = await agent.cri.listPodSandbox({ id: f.id });
      assert.ok(sb, `foreign sandbox ${f.id} still there`);
      assert.equal(sb.state, f.ready ? 'SANDBOX_READY' : 'SANDBOX_NOTREADY');
      const c = await agent.cri.containerStatus(f.containerId);
      assert.equal(c.state, f.ready ? 'CONTAINER_RUNNING' : 'CONTAINER_EXITED', `foreign container ${f.containerId} untouched`);
    }
    const logDirs = readdirSync(agent.podLogsDir);
    for (const f of foreign) assert.ok(logDirs.some((d) => d.endsWith(`_${f.uid}`)), `the log directory of foreign pod ${f.uid} stays`);
  });
});
