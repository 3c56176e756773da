// Tests for what goes to pods/status: the two-way strategic patch with the UID, mergePodStatus and TerminatePod, as named table cases.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Pod, V1PodStatus } from '@kubernetes/client-node';
import { CONFIG_SOURCE_ANNOTATION } from '../../src/config/annotations.js';
import { mergePodStatus, terminatedStatus } from '../../src/status/merge.js';
import { podStatusPatch } from '../../src/status/pod-status-patch.js';
import { applyStatusPatch } from '../support/strategic-merge.js';

const T0 = new Date('2024-05-01T10:00:00.678Z');
const T1 = new Date('2024-05-01T10:00:05Z');
const cond = (type: string, status: string, extra: object = {}) => ({ type, status, lastTransitionTime: T0, ...extra });
const running = (name: string) => ({ name, image: 'busybox', imageID: 'sha', containerID: 'containerd://1', ready: true, restartCount: 0, started: true, state: { running: { startedAt: T0 } }, lastState: {} });

describe('podStatusPatch (statusutil.PatchPodStatus)', () => {
  const cases: Array<{ name: string; api: V1PodStatus | undefined; ours: V1PodStatus; want: object | 'unchanged' }> = [
    { name: 'nothing changed: only the UID, and no request', api: { phase: 'Running', conditions: [cond('Ready', 'True')] }, ours: { phase: 'Running', conditions: [cond('Ready', 'True')] }, want: 'unchanged' },
    { name: 'times compare in whole seconds, as the API keeps them', api: { phase: 'Running', startTime: new Date('2024-05-01T10:00:00Z') }, ours: { phase: 'Running', startTime: T0 }, want: 'unchanged' },
    { name: 'an empty lastState is no lastState (Go has no absent struct)', api: { containerStatuses: [{ ...running('a'), lastState: {} }] }, ours: { containerStatuses: [{ ...running('a'), lastState: undefined }] }, want: 'unchanged' },
    { name: 'a scalar changes; a field we no longer have is set to null', api: { phase: 'Pending', reason: 'X', message: 'old' }, ours: { phase: 'Running' }, want: { phase: 'Running', reason: null, message: null } },
    { name: 'a condition changes by its type, with the element order', api: { conditions: [cond('Ready', 'False', { reason: 'ContainersNotReady' }), cond('PodScheduled', 'True')] }, ours: { conditions: [cond('Ready', 'True', { lastTransitionTime: T1 }), cond('PodScheduled', 'True')] },
      want: { conditions: [{ type: 'Ready', status: 'True', reason: null, lastTransitionTime: '2024-05-01T10:00:05Z' }], '$setElementOrder/conditions': [{ type: 'Ready' }, { type: 'PodScheduled' }] } },
    { name: 'a condition we do not have any more is deleted by key', api: { conditions: [cond('Ready', 'True'), cond('Gone', 'True')] }, ours: { conditions: [cond('Ready', 'True')] },
      want: { conditions: [{ $patch: 'delete', type: 'Gone' }], '$setElementOrder/conditions': [{ type: 'Ready' }] } },
    { name: 'a new pod IP is added by key', api: { podIPs: [] }, ours: { podIP: '10.0.0.5', podIPs: [{ ip: '10.0.0.5' }] }, want: { podIP: '10.0.0.5', podIPs: [{ ip: '10.0.0.5' }], '$setElementOrder/podIPs': [{ ip: '10.0.0.5' }] } },
    { name: 'container statuses are replaced whole, times as RFC 3339 seconds', api: { containerStatuses: [{ ...running('a'), ready: false }] }, ours: { containerStatuses: [running('a')] },
      want: { containerStatuses: [{ name: 'a', image: 'busybox', imageID: 'sha', containerID: 'containerd://1', ready: true, restartCount: 0, started: true, state: { running: { startedAt: '2024-05-01T10:00:00Z' } }, lastState: {} }] } },
    { name: 'no status in the API yet: all of ours', api: undefined, ours: { phase: 'Pending', qosClass: 'BestEffort' }, want: { phase: 'Pending', qosClass: 'BestEffort' } },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const { patch, unchanged } = podStatusPatch('uid-1', c.api, c.ours);
      assert.deepEqual((patch as { metadata: object }).metadata, { uid: 'uid-1' }, 'the UID is always in the patch (a precondition)');
      if (c.want === 'unchanged') {
        assert.equal(unchanged, true);
        assert.deepEqual(patch, { metadata: { uid: 'uid-1' } });
        return;
      }
      assert.equal(unchanged, false);
      assert.deepEqual((patch as { status: object }).status, c.want);
      // Applied as the API server applies it, the patch gives our status.
      const applied = applyStatusPatch(JSON.parse(JSON.stringify(c.api ?? {})), (patch as { status: Record<string, unknown> }).status);
      assert.equal(podStatusPatch('uid-1', applied, c.ours).unchanged, true, 'applying the patch leaves nothing to patch');
    });
  }
});

describe('mergePodStatus', () => {
  const NOW = Date.parse('2024-05-01T11:00:00Z');
  it('keeps conditions the kubelet does not own (first), takes ours for the rest, keeps resourceClaimStatuses', () => {
    const api: V1PodStatus = { phase: 'Running', conditions: [cond('DisruptionTarget', 'True'), cond('Ready', 'False')], resourceClaimStatuses: [{ name: 'gpu' }] };
    const ours: V1PodStatus = { phase: 'Running', conditions: [cond('Ready', 'True'), cond('PodScheduled', 'True')] };
    const m = mergePodStatus(api, ours, true, NOW);
    assert.deepEqual(m.conditions!.map((c) => `${c.type}=${c.status}`), ['DisruptionTarget=True', 'Ready=True', 'PodScheduled=True']);
    assert.deepEqual(m.resourceClaimStatuses, [{ name: 'gpu' }]);
    assert.deepEqual(ours.conditions!.length, 2, 'ours is not modified');
  });

  const terminal: Array<{ name: string; couldRun: boolean; want: string; reason?: string }> = [
    { name: 'a terminal phase waits while containers could still run', couldRun: true, want: 'Running', reason: 'ApiReason' },
    { name: 'a terminal phase goes out once nothing can run', couldRun: false, want: 'Failed', reason: 'Evicted' },
  ];
  for (const c of terminal) {
    it(c.name, () => {
      const m = mergePodStatus({ phase: 'Running', reason: 'ApiReason' }, { phase: 'Failed', reason: 'Evicted', conditions: [] }, c.couldRun, NOW);
      assert.equal(m.phase, c.want);
      assert.equal(m.reason, c.reason);
    });
  }

  it('a terminal phase never goes out with Ready or ContainersReady True', () => {
    const m = mergePodStatus({ phase: 'Running' }, { phase: 'Succeeded', conditions: [cond('Ready', 'True'), cond('ContainersReady', 'True')] }, false, NOW);
    for (const type of ['Ready', 'ContainersReady']) {
      const c = m.conditions!.find((x) => x.type === type)!;
      assert.equal(c.status, 'False');
      assert.equal(c.reason, 'PodCompleted');
      assert.equal((c.lastTransitionTime as Date).getTime(), NOW, 'it flipped now');
    }
  });
});

describe('terminatedStatus (TerminatePod)', () => {
  const pod = (init: boolean, source = 'api'): V1Pod => ({
    metadata: { name: 'p', uid: 'u', annotations: { [CONFIG_SOURCE_ANNOTATION]: source } },
    spec: { containers: [{ name: 'a' }], ...(init ? { initContainers: [{ name: 'i' }] } : {}) },
  });
  const waiting = (name: string) => ({ name, image: 'x', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } });
  const cases: Array<{ name: string; pod: V1Pod; status: V1PodStatus; phase: string; containers: string[]; inits?: string[] }> = [
    { name: 'a running API pod: Failed, its container ContainerStatusUnknown 137', pod: pod(false), status: { phase: 'Running', containerStatuses: [running('a')] }, phase: 'Failed', containers: ['ContainerStatusUnknown/137'] },
    { name: 'a pod that finished keeps its phase and its containers', pod: pod(false), status: { phase: 'Succeeded', containerStatuses: [{ ...running('a'), state: { terminated: { exitCode: 0, reason: 'Completed' } } }] }, phase: 'Succeeded', containers: ['Completed/0'] },
    { name: 'a static pod keeps its phase (kubernetes#116484)', pod: pod(false, 'file'), status: { phase: 'Running', containerStatuses: [running('a')] }, phase: 'Running', containers: ['ContainerStatusUnknown/137'] },
    { name: 'never initialized: the first init container fails, the app stays waiting', pod: pod(true), status: { phase: 'Pending', initContainerStatuses: [waiting('i')], containerStatuses: [waiting('a')] }, phase: 'Failed', containers: ['waiting'], inits: ['ContainerStatusUnknown/137'] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const s = terminatedStatus(c.pod, c.status);
      const show = (list: V1PodStatus['containerStatuses']) => (list ?? []).map((x) => (x.state?.terminated ? `${x.state.terminated.reason}/${x.state.terminated.exitCode}` : 'waiting'));
      assert.equal(s.phase, c.phase);
      assert.deepEqual(show(s.containerStatuses), c.containers);
      if (c.inits) assert.deepEqual(show(s.initContainerStatuses), c.inits);
      assert.notEqual(s, c.status, 'a copy');
    });
  }
});
