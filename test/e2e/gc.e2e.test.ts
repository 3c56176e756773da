// Garbage collection end to end: a crash loop keeps only its newest dead instance, and a removed pod's log directory goes.
import type { V1Pod } from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Container } from '../../src/cri/types.js';
import { ownershipSelector, POD_NAME_LABEL } from '../../src/runtime/labels.js';
import { containerStatus, podYaml, startAgent, type Agent } from '../support/agent.js';

let agent: Agent;

before(async () => {
  // GC every 5 s, and a crash-loop back-off capped at its 10 s start, so restarts come every ~10 s.
  agent = await startAgent({ name: 'gc', extraArgs: ['--container-gc-period', '5s', '--max-container-restart-period', '10s'] });
});
after(async () => {
  await agent?.cleanup();
});

async function containersOf(name: string): Promise<Container[]> {
  return agent.cri.listContainers({ labelSelector: { ...ownershipSelector(agent.nodeName), [POD_NAME_LABEL]: `${name}-${agent.nodeName}` } });
}

/** <pod-logs-dir>/<namespace>_<name>_<uid>, from the pod's UID in /pods. */
function logDirOf(pod: V1Pod): string {
  return path.join(agent.podLogsDir, `default_${pod.metadata!.name}_${pod.metadata!.uid}`);
}

describe('container GC', { concurrency: true }, () => {
  it('a crash-looping pod keeps only its newest exited instance (and the running one); the others and their log files go', async () => {
    agent.writeManifest('crashloop.yaml', podYaml('crashloop', `
  containers:
    - name: crasher
      image: busybox:1.36
      command: ["sh", "-c", "echo about to fail; sleep 2; exit 1"]
`));
    // Every instance ever seen, by attempt, while the loop runs.
    const seen = new Map<number, string>();
    const note = async () => {
      const cs = await containersOf('crashloop');
      for (const c of cs) seen.set(c.metadata.attempt, c.id);
      return cs;
    };
    const pod = await agent.waitFor('three restarts', async () => {
      await note();
      const p = await agent.pod('crashloop');
      return (containerStatus(p, 'crasher')?.restartCount ?? 0) >= 3 ? p : undefined;
    }, 150_000);
    assert.ok(seen.size >= 3, `several instances existed (${seen.size})`);

    const left = await agent.waitFor('GC down to one exited instance', async () => {
      const cs = await note();
      const exited = cs.filter((c) => c.state === 'CONTAINER_EXITED');
      return exited.length === 1 && cs.length <= 2 ? cs : undefined;
    }, 30_000);
    const exited = left.find((c) => c.state === 'CONTAINER_EXITED')!;
    const newestAttempt = Math.max(...left.map((c) => c.metadata.attempt));
    const others = left.filter((c) => c !== exited);
    assert.ok(others.every((c) => c.state !== 'CONTAINER_EXITED' && c.metadata.attempt > exited.metadata.attempt), 'any other instance is the live newest one');
    assert.ok(exited.metadata.attempt >= newestAttempt - 1, 'the exited instance kept is the newest exited one');

    // The removed instances' log files went with them; the kept ones' stay.
    const crasherLogs = path.join(logDirOf(pod), 'crasher');
    const removed = [...seen.keys()].filter((a) => !left.some((c) => c.metadata.attempt === a));
    assert.ok(removed.length >= 1, 'at least one instance was removed');
    for (const a of removed) assert.equal(existsSync(path.join(crasherLogs, `${a}.log`)), false, `${a}.log removed`);
    // The loop goes on: a newer exit can make GC remove the instance kept above (its log file
    // first, then the container) before this line. So the exited instance is read again, and only
    // an exited instance still listed WITH its log passes; one that lost its log never does.
    await agent.waitFor('the kept exited instance keeps its log', async () => {
      const kept = (await containersOf('crashloop')).find((c) => c.state === 'CONTAINER_EXITED');
      return !!kept && existsSync(path.join(crasherLogs, `${kept.metadata.attempt}.log`));
    }, 30_000);

    // The status still knows the whole story: restartCount and the last termination.
    const after = await agent.pod('crashloop');
    const cs = containerStatus(after, 'crasher')!;
    assert.ok(cs.restartCount >= 3, `restartCount ${cs.restartCount}`);
    const lastExit = cs.state?.terminated ?? cs.lastState?.terminated;
    assert.equal(lastExit?.exitCode, 1);
  });

  it('removing a manifest removes the pod and its log directory under --pod-logs-dir', async () => {
    agent.writeManifest('logged.yaml', podYaml('logged', `
  terminationGracePeriodSeconds: 2
  containers:
    - name: talker
      image: busybox:1.36
      command: ["sh", "-c", "trap 'exit 0' TERM; while true; do echo hello; sleep 1; done"]
`));
    const pod = await agent.waitFor('logged running', async () => {
      const p = await agent.pod('logged');
      return p?.status?.phase === 'Running' ? p : undefined;
    }, 60_000);
    const dir = logDirOf(pod);
    await agent.waitFor('a log file written', () => existsSync(path.join(dir, 'talker', '0.log')), 30_000);
    agent.removeManifest('logged.yaml');
    await agent.waitFor('logged gone from containerd', async () => (await containersOf('logged')).length === 0, 60_000);
    await agent.waitFor('its log directory removed', () => !existsSync(dir), 30_000);
    assert.equal(readdirSync(agent.podLogsDir).some((d) => d.endsWith(`_${pod.metadata!.uid}`)), false);
  });
});
