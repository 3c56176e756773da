// shouldContainerBeRestarted (kubelet ShouldContainerBeRestarted + the sidecar rule), shared by planner and status: named table cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ObservedContainer } from '../../src/runtime/types.js';
import { shouldContainerBeRestarted } from '../../src/runtime/restart-policy.js';
import { aContainer, aPod, anObservedPod } from '../support/observed-builders.js';

const cases: { name: string; policy: string; sidecar?: boolean; last?: Partial<ObservedContainer>; deleted?: boolean; want: boolean }[] = [
  { name: 'never ran: start', policy: 'Never', want: true },
  { name: 'running: no', policy: 'Always', last: { state: 'running' }, want: false },
  { name: 'created (start failed): start again', policy: 'Never', last: { state: 'created' }, want: true },
  { name: 'unknown: start again', policy: 'Never', last: { state: 'unknown' }, want: true },
  { name: 'Always, exited 0: restart', policy: 'Always', last: { state: 'exited', exitCode: 0 }, want: true },
  { name: 'OnFailure, exited 0: no', policy: 'OnFailure', last: { state: 'exited', exitCode: 0 }, want: false },
  { name: 'OnFailure, exited 2: restart', policy: 'OnFailure', last: { state: 'exited', exitCode: 2 }, want: true },
  { name: 'Never, exited 1: no', policy: 'Never', last: { state: 'exited', exitCode: 1 }, want: false },
  { name: 'sidecar under Never, exited 0: restart anyway', policy: 'Never', sidecar: true, last: { state: 'exited', exitCode: 0 }, want: true },
  { name: 'pod being deleted: never', policy: 'Always', last: { state: 'exited', exitCode: 1 }, deleted: true, want: false },
];

for (const c of cases) {
  test(`restart policy: ${c.name}`, () => {
    const pod = aPod(['app'], { restartPolicy: c.policy });
    if (c.deleted) pod.metadata!.deletionTimestamp = new Date(0);
    // A sidecar is a container whose own restartPolicy is Always (an init container in the spec).
    if (c.sidecar) pod.spec!.containers[0]!.restartPolicy = 'Always';
    // An older, different instance must not matter: only the newest counts.
    const older = aContainer('app', { id: 'old', state: 'exited', exitCode: 0, createdAt: 1 });
    const observed = anObservedPod({ containers: c.last ? [aContainer('app', { createdAt: 5000, ...c.last }), older] : [] });
    assert.equal(shouldContainerBeRestarted(pod.spec!.containers[0]!, pod, observed), c.want);
  });
}
