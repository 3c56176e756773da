// The status manager: publishes only real changes, keeps times sane, refuses illegal transitions.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Pod, V1PodStatus } from '@kubernetes/client-node';
import { StatusManager, type StatusSink } from '../../src/status/manager.js';
import { isPodStatusEqual } from '../../src/status/status-equal.js';
import { aPod, T0 } from '../support/observed-builders.js';

class RecordingSink implements StatusSink {
  changes: { uid: string; status: V1PodStatus; pod: V1Pod }[] = [];
  deleted: string[] = [];
  podStatusChanged(pod: V1Pod, status: V1PodStatus): void {
    this.changes.push({ uid: pod.metadata!.uid!, status, pod });
  }
  podDeleted(uid: string): void {
    this.deleted.push(uid);
  }
}

function setup(start = T0) {
  let now = start;
  const errors: unknown[] = [];
  const logger = { debug: () => {}, error: (obj: unknown) => void errors.push(obj) };
  const manager = new StatusManager({ clock: { now: () => now }, logger });
  const sink = new RecordingSink();
  manager.addSink(sink);
  return { manager, sink, errors, advance: (ms: number) => (now += ms) };
}

const running = (over: Partial<V1PodStatus> = {}): V1PodStatus => ({
  phase: 'Running',
  conditions: [
    { type: 'Ready', status: 'True', lastTransitionTime: new Date(T0) },
    { type: 'ContainersReady', status: 'True', lastTransitionTime: new Date(T0) },
  ],
  containerStatuses: [
    { name: 'a', image: 'a:1', imageID: 'sha256:a', ready: true, restartCount: 0, state: { running: { startedAt: new Date(T0) } } },
    { name: 'b', image: 'b:1', imageID: 'sha256:b', ready: true, restartCount: 0, state: { running: { startedAt: new Date(T0) } } },
  ],
  ...over,
});

describe('StatusManager publishes only real changes', () => {
  const noChange: { name: string; second: (s: V1PodStatus) => V1PodStatus }[] = [
    { name: 'the identical status', second: (s) => structuredClone(s) },
    {
      name: 'conditions in another order',
      second: (s) => ({ ...structuredClone(s), conditions: [...structuredClone(s.conditions!)].reverse() }),
    },
    {
      name: 'container statuses in another order',
      second: (s) => ({ ...structuredClone(s), containerStatuses: [...structuredClone(s.containerStatuses!)].reverse() }),
    },
    {
      name: 'only lastProbeTime and lastTransitionTime moved',
      second: (s) => {
        const c = structuredClone(s);
        c.conditions![0]!.lastProbeTime = new Date(T0 + 99_000);
        c.conditions![1]!.lastTransitionTime = new Date(T0 + 99_000);
        return c;
      },
    },
    {
      name: 'a time that differs below a second',
      second: (s) => {
        const c = structuredClone(s);
        c.containerStatuses![0]!.state!.running!.startedAt = new Date(T0 + 400);
        return c;
      },
    },
    { name: 'an empty list instead of none', second: (s) => ({ ...structuredClone(s), initContainerStatuses: [] }) },
  ];
  for (const c of noChange) {
    it(`no publish: ${c.name}`, () => {
      const { manager, sink, advance } = setup();
      const pod = aPod(['a', 'b']);
      const first = running();
      manager.setPodStatus(pod, first);
      advance(5000);
      manager.setPodStatus(pod, c.second(first));
      assert.equal(sink.changes.length, 1);
    });
  }

  const change: { name: string; second: (s: V1PodStatus) => V1PodStatus }[] = [
    {
      name: 'a condition status flipped',
      second: (s) => {
        const c = structuredClone(s);
        c.conditions![0]!.status = 'False';
        return c;
      },
    },
    {
      name: 'a condition message changed',
      second: (s) => {
        const c = structuredClone(s);
        c.conditions![1]!.message = 'containers with unready status: [b]';
        return c;
      },
    },
    {
      name: 'a container state changed',
      second: (s) => {
        const c = structuredClone(s);
        c.containerStatuses![1]!.state = { waiting: { reason: 'CrashLoopBackOff' } };
        return c;
      },
    },
    {
      name: 'a restart count changed',
      second: (s) => {
        const c = structuredClone(s);
        c.containerStatuses![0]!.restartCount = 1;
        return c;
      },
    },
    { name: 'the pod IP appeared', second: (s) => ({ ...structuredClone(s), podIP: '10.88.0.9' }) },
  ];
  for (const c of change) {
    it(`publish: ${c.name}`, () => {
      const { manager, sink } = setup();
      const pod = aPod(['a', 'b']);
      const first = running();
      manager.setPodStatus(pod, first);
      manager.setPodStatus(pod, c.second(first));
      assert.equal(sink.changes.length, 2);
    });
  }
});

describe('StatusManager keeps times sane', () => {
  it('lastTransitionTime stays while the status stays, and moves when it flips', () => {
    const { manager, advance } = setup();
    const pod = aPod(['a', 'b']);
    manager.setPodStatus(pod, running());
    advance(10_000);
    // The caller stamped a fresh time on an unchanged condition: the manager keeps the old one.
    const again = running();
    again.conditions![0]!.lastTransitionTime = new Date(T0 + 10_000);
    again.conditions![1]!.status = 'False';
    manager.setPodStatus(pod, again);
    const got = manager.getPodStatus('uid-1')!;
    assert.equal(got.conditions!.find((c) => c.type === 'Ready')!.lastTransitionTime!.getTime(), T0);
    assert.equal(got.conditions!.find((c) => c.type === 'ContainersReady')!.lastTransitionTime!.getTime(), T0 + 10_000);
  });

  it('startTime is set once and never moves', () => {
    const { manager, advance } = setup();
    const pod = aPod(['a', 'b']);
    manager.setPodStatus(pod, running());
    assert.equal(manager.getPodStatus('uid-1')!.startTime!.getTime(), T0);
    advance(7000);
    manager.setPodStatus(pod, running({ startTime: new Date(T0 + 7000), podIP: '10.0.0.1' }));
    assert.equal(manager.getPodStatus('uid-1')!.startTime!.getTime(), T0);
  });

  it('a static pod starts from its mirror pod\'s status when nothing is cached (after a restart): start time and transition times', () => {
    const { manager, sink } = setup(T0 + 60_000);
    const pod = aPod(['a', 'b']);
    const mirror: V1Pod = { ...pod, status: running({ startTime: new Date(T0) }) };
    manager.setMirrorPodLookup((p) => (p === pod ? mirror : undefined));
    const again = running();
    again.conditions!.forEach((c) => (c.lastTransitionTime = new Date(T0 + 60_000)));
    manager.setPodStatus(pod, again);
    const got = manager.getPodStatus('uid-1')!;
    assert.equal(got.startTime!.getTime(), T0);
    assert.deepEqual(got.conditions!.map((c) => c.lastTransitionTime!.getTime()), [T0, T0]);
    manager.mirrorPodsChanged();
    assert.equal(sink.changes.length, 1, 'a status that started from its mirror pod is not set again');
  });

  it('a mirror pod seen after the first sync still gives its start time, once', () => {
    const { manager, sink, advance } = setup(T0 + 60_000);
    const pod = aPod(['a', 'b']);
    let mirror: V1Pod | undefined;
    manager.setMirrorPodLookup(() => mirror);
    manager.setPodStatus(pod, running());
    assert.equal(manager.getPodStatus('uid-1')!.startTime!.getTime(), T0 + 60_000);
    manager.mirrorPodsChanged(); // no mirror pod yet: nothing
    mirror = { ...pod, status: {} }; // made, no status yet: nothing
    manager.mirrorPodsChanged();
    assert.equal(sink.changes.length, 1);
    mirror = { ...pod, status: running({ startTime: new Date(T0) }) };
    manager.mirrorPodsChanged();
    assert.equal(sink.changes.length, 2);
    assert.equal(sink.changes[1]!.status.startTime!.getTime(), T0);
    assert.equal(manager.getPodStatus('uid-1')!.startTime!.getTime(), T0);
    // Adopted once: a later mirror pod (our own write coming back, or a new one) changes nothing.
    mirror = { ...pod, status: running({ startTime: new Date(T0 + 90_000) }) };
    manager.mirrorPodsChanged();
    advance(5000);
    manager.setPodStatus(pod, running({ podIP: '10.0.0.2' }));
    assert.equal(manager.getPodStatus('uid-1')!.startTime!.getTime(), T0);
  });

  it('a pod whose status had a start time already (an API pod) never takes one from a mirror pod', () => {
    const { manager, sink } = setup(T0 + 60_000);
    const pod: V1Pod = { ...aPod(['a', 'b']), status: { startTime: new Date(T0 + 30_000) } };
    manager.setPodStatus(pod, running());
    manager.setMirrorPodLookup(() => ({ ...pod, status: running({ startTime: new Date(T0) }) }));
    manager.mirrorPodsChanged();
    assert.equal(manager.getPodStatus('uid-1')!.startTime!.getTime(), T0 + 30_000);
    assert.equal(sink.changes.length, 1);
  });

  it('times are kept in whole seconds, as the API keeps them', () => {
    const { manager } = setup(T0 + 1234);
    manager.setPodStatus(aPod(['a', 'b']), running());
    assert.equal(manager.getPodStatus('uid-1')!.startTime!.getTime(), T0 + 1000);
  });
});

describe('StatusManager refuses illegal transitions', () => {
  it('a terminal phase is never moved back', () => {
    const { manager, sink, errors } = setup();
    const pod = aPod(['a', 'b']);
    manager.setPodStatus(pod, running({ phase: 'Succeeded' }));
    manager.setPodStatus(pod, running({ phase: 'Running', podIP: '10.0.0.2' }));
    assert.equal(manager.getPodStatus('uid-1')!.phase, 'Succeeded');
    assert.equal(sink.changes.at(-1)!.status.phase, 'Succeeded');
    assert.equal(errors.length, 1);
  });

  const exited = (exitCode: number): V1PodStatus =>
    running({
      containerStatuses: [
        { name: 'a', image: 'a:1', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode } } },
      ],
    });
  const table: { name: string; policy: string; exitCode: number; allowed: boolean }[] = [
    { name: 'Never: terminated stays terminated', policy: 'Never', exitCode: 0, allowed: false },
    { name: 'OnFailure, exit 0: stays terminated', policy: 'OnFailure', exitCode: 0, allowed: false },
    { name: 'OnFailure, exit 1: may restart', policy: 'OnFailure', exitCode: 1, allowed: true },
    { name: 'Always: may restart', policy: 'Always', exitCode: 0, allowed: true },
  ];
  for (const t of table) {
    it(`container terminated → running, ${t.name}`, () => {
      const { manager, sink } = setup();
      const pod = aPod(['a'], { restartPolicy: t.policy });
      manager.setPodStatus(pod, exited(t.exitCode));
      manager.setPodStatus(pod, running({ containerStatuses: [running().containerStatuses![0]!] }));
      assert.equal(sink.changes.length, t.allowed ? 2 : 1);
      assert.equal(!!manager.getPodStatus('uid-1')!.containerStatuses![0]!.state!.running, t.allowed);
    });
  }
});

describe('StatusManager bookkeeping', () => {
  it('pods() gives pod objects carrying their status; deletePod tells the sinks once', () => {
    const { manager, sink } = setup();
    const pod = aPod(['a', 'b']);
    manager.setPodStatus(pod, running());
    const [listed] = manager.pods();
    assert.equal(listed!.metadata!.name, 'web');
    assert.equal(listed!.status!.phase, 'Running');
    assert.equal(sink.changes[0]!.pod.status!.phase, 'Running');
    manager.deletePod('uid-1');
    manager.deletePod('uid-1');
    assert.deepEqual(sink.deleted, ['uid-1']);
    assert.equal(manager.getPodStatus('uid-1'), undefined);
    assert.deepEqual(manager.pods(), []);
  });

  it('a failing sink does not stop the others', () => {
    const { manager, sink, errors } = setup();
    manager.addSink({ podStatusChanged: () => { throw new Error('down'); }, podDeleted: () => {} });
    const late = new RecordingSink();
    manager.addSink(late);
    manager.setPodStatus(aPod(['a', 'b']), running());
    assert.equal(sink.changes.length, 1);
    assert.equal(late.changes.length, 1);
    assert.equal(errors.length, 1);
  });

  it('getPodStatus hands out a copy', () => {
    const { manager } = setup();
    manager.setPodStatus(aPod(['a', 'b']), running());
    manager.getPodStatus('uid-1')!.phase = 'Failed';
    assert.equal(manager.getPodStatus('uid-1')!.phase, 'Running');
  });
});

describe('isPodStatusEqual', () => {
  it('treats a missing string as empty, but a different value as different', () => {
    assert.ok(isPodStatusEqual({ phase: 'Running', reason: '' }, { phase: 'Running' }));
    assert.ok(!isPodStatusEqual({ phase: 'Running', reason: 'Evicted' }, { phase: 'Running' }));
  });
});

describe('StatusManager.terminatePod (TerminatePod)', () => {
  const apiPod = (): V1Pod => ({ ...aPod(['a', 'b']), metadata: { name: 'web', namespace: 'default', uid: 'uid-1', annotations: { 'kubernetes.io/config.source': 'api' } } });

  it('publishes a terminal final status (Failed, unseen ends as ContainerStatusUnknown) before deletePod tells the sinks', () => {
    const { manager, sink } = setup();
    const pod = apiPod();
    manager.setPodStatus(pod, running());
    manager.terminatePod(pod);
    manager.deletePod('uid-1');
    const last = sink.changes.at(-1)!.status;
    assert.equal(last.phase, 'Failed');
    assert.deepEqual(last.containerStatuses!.map((c) => c.state!.terminated!.reason), ['ContainerStatusUnknown', 'ContainerStatusUnknown']);
    assert.deepEqual(sink.deleted, ['uid-1']);
  });

  it('a pod with no status yet gets one, so deletePod still tells the sinks', () => {
    const { manager, sink } = setup();
    manager.terminatePod(apiPod());
    manager.deletePod('uid-1');
    assert.equal(sink.changes.length, 1);
    assert.equal(sink.changes[0]!.status.phase, 'Failed');
    assert.deepEqual(sink.deleted, ['uid-1']);
  });
});
