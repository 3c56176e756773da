// Pod conditions: their values, messages and reasons as the kubelet writes them, and lastTransitionTime preservation.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { V1PodCondition, V1PodStatus } from '@kubernetes/client-node';
import { computePodStatus } from '../../src/status/compute.js';
import { withTransitionTime } from '../../src/status/conditions.js';
import { aContainer, anObservedPod, aPod, aSandbox, T0 } from '../support/observed-builders.js';

const cond = (s: V1PodStatus, type: string) => s.conditions!.find((c) => c.type === type)!;
const brief = (c: V1PodCondition) => [c.status, c.reason, c.message];

describe('pod conditions', () => {
  it('come in the kubelet order after the conditions it does not own', () => {
    const pod = aPod(['app']);
    pod.status = { conditions: [{ type: 'example.com/Gate', status: 'True' }, { type: 'Ready', status: 'True' }] };
    const s = computePodStatus(pod, undefined, { now: T0, hostIP: '', waiting: new Map() });
    assert.deepEqual(
      s.conditions!.map((c) => c.type),
      ['example.com/Gate', 'PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'],
    );
    // The stale Ready from the source is replaced, not kept.
    assert.equal(cond(s, 'Ready').status, 'False');
  });

  const table: { name: string; status: () => V1PodStatus; type: string; want: unknown[] }[] = [
    {
      name: 'ContainersReady lists unready containers in spec order, Go style',
      status: () =>
        computePodStatus(aPod(['b', 'a', 'c']), anObservedPod({ containers: [aContainer('c')] }), {
          now: T0,
          hostIP: '',
          waiting: new Map(),
        }),
      type: 'ContainersReady',
      want: ['False', 'ContainersNotReady', 'containers with unready status: [b a]'],
    },
    {
      name: 'Ready copies ContainersReady when that is not True',
      status: () => computePodStatus(aPod(['a']), undefined, { now: T0, hostIP: '', waiting: new Map() }),
      type: 'Ready',
      want: ['False', 'ContainersNotReady', 'containers with unready status: [a]'],
    },
    {
      name: 'Ready waits for a readiness gate whose condition is missing',
      status: () =>
        computePodStatus(
          aPod(['a'], { readinessGates: [{ conditionType: 'example.com/lb' }] }),
          anObservedPod({ containers: [aContainer('a')] }),
          { now: T0, hostIP: '', waiting: new Map() },
        ),
      type: 'Ready',
      want: ['False', 'ReadinessGatesNotReady', 'corresponding condition of pod readiness gate "example.com/lb" does not exist.'],
    },
    {
      name: 'Ready is True once the readiness gate condition is True',
      status: () => {
        const pod = aPod(['a'], { readinessGates: [{ conditionType: 'example.com/lb' }] });
        pod.status = { conditions: [{ type: 'example.com/lb', status: 'True' }] };
        return computePodStatus(pod, anObservedPod({ containers: [aContainer('a')] }), {
          now: T0,
          hostIP: '',
          waiting: new Map(),
        });
      },
      type: 'Ready',
      want: ['True', undefined, undefined],
    },
    {
      name: 'Initialized is True without init containers',
      status: () => computePodStatus(aPod(['a']), undefined, { now: T0, hostIP: '', waiting: new Map() }),
      type: 'Initialized',
      want: ['True', undefined, undefined],
    },
    {
      name: 'Initialized names init containers not yet run as incomplete',
      status: () => computePodStatus(aPod(['a'], {}, ['i1', 'i2']), undefined, { now: T0, hostIP: '', waiting: new Map() }),
      type: 'Initialized',
      want: ['False', 'ContainersNotInitialized', 'containers with incomplete status: [i1 i2]'],
    },
    {
      name: 'PodReadyToStartContainers is False with two ready sandboxes',
      status: () =>
        computePodStatus(
          aPod(['a']),
          anObservedPod({ sandboxes: [aSandbox({ id: 'old', createdAt: T0 - 10 }), aSandbox()] }),
          { now: T0, hostIP: '', waiting: new Map() },
        ),
      type: 'PodReadyToStartContainers',
      want: ['False', undefined, undefined],
    },
    {
      name: 'PodReadyToStartContainers is False when the sandbox has no IP yet',
      status: () =>
        computePodStatus(aPod(['a']), anObservedPod({ sandboxes: [aSandbox({ ip: '' })] }), {
          now: T0,
          hostIP: '',
          waiting: new Map(),
        }),
      type: 'PodReadyToStartContainers',
      want: ['False', undefined, undefined],
    },
    {
      name: 'PodScheduled is always True',
      status: () => computePodStatus(aPod(['a']), undefined, { now: T0, hostIP: '', waiting: new Map() }),
      type: 'PodScheduled',
      want: ['True', undefined, undefined],
    },
  ];
  for (const c of table) it(c.name, () => assert.deepEqual(brief(cond(c.status(), c.type)), c.want));
});

describe('lastTransitionTime', () => {
  const T1 = T0 + 1000;
  const NOW = T0 + 50_000;
  const table: { name: string; previous: V1PodCondition[] | undefined; status: string; want: number }[] = [
    { name: 'no previous condition: now', previous: undefined, status: 'False', want: NOW },
    {
      name: 'same status: kept',
      previous: [{ type: 'Ready', status: 'False', lastTransitionTime: new Date(T1) }],
      status: 'False',
      want: T1,
    },
    {
      name: 'same status, time given as a string (from YAML/JSON): kept',
      previous: [{ type: 'Ready', status: 'False', lastTransitionTime: new Date(T1).toISOString() as unknown as Date }],
      status: 'False',
      want: T1,
    },
    {
      name: 'status flipped: now',
      previous: [{ type: 'Ready', status: 'False', lastTransitionTime: new Date(T1) }],
      status: 'True',
      want: NOW,
    },
    {
      name: 'only another type had a time: now',
      previous: [{ type: 'ContainersReady', status: 'False', lastTransitionTime: new Date(T1) }],
      status: 'False',
      want: NOW,
    },
  ];
  for (const c of table) {
    it(c.name, () => {
      const got = withTransitionTime({ type: 'Ready', status: c.status }, c.previous, NOW);
      assert.equal(got.lastTransitionTime!.getTime(), c.want);
    });
  }

  it('a reason change alone keeps the time (only the status is a transition)', () => {
    const pod = aPod(['a'], { restartPolicy: 'Never' });
    const first = computePodStatus(pod, undefined, { now: T0, hostIP: '', waiting: new Map() });
    const second = computePodStatus(pod, anObservedPod({ containers: [aContainer('a', { state: 'exited' })] }), {
      now: NOW,
      hostIP: '',
      waiting: new Map(),
      previous: first,
    });
    assert.equal(cond(first, 'Ready').reason, 'ContainersNotReady');
    assert.equal(cond(second, 'Ready').reason, 'PodCompleted');
    assert.equal(cond(second, 'Ready').lastTransitionTime!.getTime(), T0);
  });
});
