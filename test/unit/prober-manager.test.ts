// The probe manager: workers per probe for a pod's life, results for the planner and status, wake-ups, and probe kill grace periods.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Container, V1Pod, V1PodStatus } from '@kubernetes/client-node';
import { ProbeManager } from '../../src/prober/manager.js';
import type { Prober, ProbeRun } from '../../src/prober/prober.js';
import { probeKillGracePeriod } from '../../src/prober/timing.js';
import type { ProbeType } from '../../src/prober/types.js';
import { FakeClock } from '../support/fake-prober-clock.js';

const exec = { exec: { command: ['true'] } };

function setup(pod: V1Pod) {
  const clock = new FakeClock(5_000_000);
  const calls: { type: ProbeType; name: string }[] = [];
  const answers: Partial<Record<ProbeType, ProbeRun['result']>> = {};
  const prober: Prober = {
    async probe(type, _pod, c: V1Container) {
      calls.push({ type, name: c.name });
      return { result: answers[type] ?? 'Success' };
    },
  };
  const statuses = new Map<string, V1PodStatus>();
  const woken: string[] = [];
  const manager = new ProbeManager({
    cri: { execSync: async () => ({ stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), exitCode: 0 }) },
    recorder: { event: () => {} },
    logger: { debug: () => {} },
    statusOf: (uid) => statuses.get(uid),
    wake: (uid) => woken.push(uid),
    clock,
    random: () => 0,
    prober,
  });
  // Let the manager's start fall more than a period behind, so first probes are not jittered.
  clock.t += 3_600_000;
  return { clock, calls, answers, statuses, woken, manager, uid: pod.metadata!.uid! };
}

function runningStatus(started = true): V1PodStatus {
  const now = new Date(4_000_000);
  const cs = (name: string, id: string) => ({ name, containerID: `containerd://${id}`, image: '', imageID: '', ready: false, restartCount: 0, started, state: { running: { startedAt: now } } });
  return { phase: 'Running', podIP: '10.88.0.3', podIPs: [{ ip: '10.88.0.3' }], containerStatuses: [cs('app', 'c-app')], initContainerStatuses: [cs('proxy', 'c-proxy')] };
}

const pod: V1Pod = {
  metadata: { name: 'web', namespace: 'default', uid: 'u-web' },
  spec: {
    initContainers: [
      { name: 'setup', readinessProbe: { ...exec } }, // a plain init container: never probed
      { name: 'proxy', restartPolicy: 'Always', readinessProbe: { ...exec } },
    ],
    containers: [{ name: 'app', livenessProbe: { ...exec, failureThreshold: 1 }, readinessProbe: { ...exec }, startupProbe: { ...exec } }],
  },
};

describe('ProbeManager', () => {
  it('adds one worker per probe of containers and sidecars, once', () => {
    const h = setup(pod);
    h.manager.addPod(pod);
    h.manager.addPod(pod);
    assert.equal(h.manager.workerCount(h.uid), 4);
    h.manager.stop();
    assert.equal(h.manager.workerCount(), 0);
  });

  it('learns pods from status changes and forgets them on delete', async () => {
    const h = setup(pod);
    h.statuses.set(h.uid, runningStatus());
    h.manager.podStatusChanged(pod, runningStatus());
    assert.equal(h.manager.workerCount(h.uid), 4);
    await h.clock.advance(0);
    assert.equal(h.manager.view().ready(h.uid).get('c-app'), true);
    h.manager.podDeleted(h.uid);
    assert.equal(h.manager.workerCount(h.uid), 0);
    assert.equal(h.manager.view().ready(h.uid).size, 0);
  });

  it('no workers for a pod that has finished', () => {
    const h = setup(pod);
    h.manager.podStatusChanged(pod, { phase: 'Succeeded' });
    assert.equal(h.manager.workerCount(), 0);
  });

  it('a liveness failure makes the container unhealthy, with the kubelet reason and message, and wakes the pod', async () => {
    const h = setup(pod);
    h.answers.Liveness = 'Failure';
    h.statuses.set(h.uid, runningStatus());
    h.manager.addPod(pod);
    await h.clock.advance(0);
    assert.deepEqual([...h.manager.view().unhealthy(h.uid)], [['c-app', { reason: 'LivenessProbe', message: 'Container app failed liveness probe' }]]);
    assert.ok(h.woken.includes(h.uid));
    h.manager.stop();
  });

  it('a startup failure is unhealthy as StartupProbe; startup results read as started', async () => {
    const h = setup(pod);
    h.answers.Startup = 'Failure';
    h.statuses.set(h.uid, runningStatus(false));
    h.manager.addPod(pod);
    await h.clock.advance(30_000);
    assert.deepEqual(h.manager.view().unhealthy(h.uid).get('c-app'), { reason: 'StartupProbe', message: 'Container app failed startup probe' });
    assert.equal(h.manager.view().started(h.uid).get('c-app'), false);
    assert.ok(!h.calls.some((c) => c.type === 'Liveness' && c.name === 'app'), 'liveness held back until started');
    h.manager.stop();
  });

  it('a status showing a started container that is not ready yet probes readiness at once', async () => {
    const h = setup(pod);
    h.answers.Readiness = 'Failure';
    h.statuses.set(h.uid, runningStatus());
    h.manager.addPod(pod);
    await h.clock.advance(0);
    const before = h.calls.filter((c) => c.type === 'Readiness').length;
    h.manager.podStatusChanged(pod, runningStatus());
    await h.clock.advance(0);
    assert.equal(h.calls.filter((c) => c.type === 'Readiness').length, before + 2, 'app and proxy, without waiting a period');
    h.manager.stop();
  });
});

describe('probeKillGracePeriod (setTerminationGracePeriod)', () => {
  const container: V1Container = {
    name: 'app',
    livenessProbe: { ...exec, terminationGracePeriodSeconds: 5 },
    startupProbe: { ...exec, terminationGracePeriodSeconds: 7 },
  };
  const base: V1Pod = { metadata: { name: 'p' }, spec: { containers: [container], terminationGracePeriodSeconds: 60 } };
  const cases = [
    { name: 'liveness kill uses the liveness probe grace period', pod: base, reason: 'LivenessProbe', want: 5 },
    { name: 'startup kill uses the startup probe grace period', pod: base, reason: 'StartupProbe', want: 7 },
    { name: 'other kills use the pod grace period', pod: base, reason: 'SpecChanged', want: undefined },
    { name: 'a deletion grace period wins', pod: { ...base, metadata: { name: 'p', deletionGracePeriodSeconds: 3 } }, reason: 'LivenessProbe', want: undefined },
  ];
  for (const c of cases) {
    it(c.name, () => assert.equal(probeKillGracePeriod(c.pod, container, c.reason), c.want));
  }
  it('no probe-level value: the pod grace period', () => {
    assert.equal(probeKillGracePeriod(base, { name: 'app', livenessProbe: { ...exec } }, 'LivenessProbe'), undefined);
  });
});
