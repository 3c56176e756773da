// fast-check properties of computePodActions over random pods and runtime observations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { computePodActions, type PlanContext } from '../../src/podworker/plan.js';
import type { ObservedContainer, ObservedPod } from '../../src/runtime/types.js';
import { hashContainer } from '../../src/podworker/translate/hash.js';
import { T0, aContainer, aSandbox, anObservedPod } from '../support/observed-builders.js';

type Seen = 'none' | 'created' | 'running' | 'exited0' | 'exited1' | 'unknown';
const seen = fc.constantFrom<Seen>('none', 'created', 'running', 'exited0', 'exited1', 'unknown');

interface World {
  pod: V1Pod;
  observed: ObservedPod;
  ctx: PlanContext;
}

/** A pod with 0-3 init containers (some sidecars) and 1-3 regular ones, and one random instance per container. */
const world: fc.Arbitrary<World> = fc
  .record({
    policy: fc.constantFrom('Always', 'OnFailure', 'Never'),
    inits: fc.array(fc.record({ sidecar: fc.boolean(), state: seen, stale: fc.boolean() }), { maxLength: 3 }),
    regulars: fc.array(fc.record({ state: seen, stale: fc.boolean() }), { minLength: 1, maxLength: 3 }),
    sandbox: fc.constantFrom('ready', 'notready', 'none'),
    inBackOff: fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
    restartCounts: fc.array(fc.nat(5), { minLength: 6, maxLength: 6 }),
  })
  .map(({ policy, inits, regulars, sandbox, inBackOff, restartCounts }) => {
    const initContainers: V1Container[] = inits.map((x, i) => ({
      name: `init${i}`,
      image: 'busybox:1.36',
      ...(x.sidecar ? { restartPolicy: 'Always' } : {}),
    }));
    const containers: V1Container[] = regulars.map((_, i) => ({ name: `app${i}`, image: 'busybox:1.36' }));
    const pod: V1Pod = {
      metadata: { name: 'p', namespace: 'default', uid: 'u' },
      spec: { restartPolicy: policy, initContainers, containers },
    };
    const instances: ObservedContainer[] = [];
    const add = (c: V1Container, s: Seen, stale: boolean, i: number) => {
      if (s === 'none') return;
      const state = s === 'exited0' || s === 'exited1' ? 'exited' : s;
      instances.push(
        aContainer(c.name, {
          state,
          exitCode: s === 'exited1' ? 1 : 0,
          restartCount: restartCounts[i % 6]!,
          createdAt: T0 + 1000 * (i + 1),
          hash: stale ? 'stale' : hashContainer(c),
        }),
      );
    };
    initContainers.forEach((c, i) => add(c, inits[i]!.state, inits[i]!.stale, i));
    containers.forEach((c, i) => add(c, regulars[i]!.state, regulars[i]!.stale, i + 3));
    const sandboxes = sandbox === 'none' ? [] : [aSandbox({ state: sandbox === 'ready' ? 'ready' : 'notready' })];
    const names = [...initContainers, ...containers].map((c) => c.name);
    const ctx: PlanContext = {
      now: T0 + 60_000,
      crashLoopBackOff: {
        isInBackOffSince: (key) => names.some((n, i) => inBackOff[i % 6] && key.includes(`_${n}_`)),
        get: () => 10_000,
      },
    };
    return { pod, observed: anObservedPod({ sandboxes, containers: instances }), ctx };
  });

const newest = (o: ObservedPod, name: string) => o.containers.find((c) => c.name === name);

test('property: no regular container starts before initialization is done', () => {
  fc.assert(
    fc.property(world, ({ pod, observed, ctx }) => {
      const a = computePodActions(pod, observed, ctx);
      const planned = [...a.containersToStart, ...a.containersInBackOff];
      if (!planned.some((s) => s.kind === 'regular')) return;
      // Initialization is over if it was over before (a regular container created or running)...
      const initializedBefore = pod.spec!.containers.some((c) => ['created', 'running'].includes(newest(observed, c.name)?.state ?? ''));
      // ...or if the LAST init container is done (exited 0, or running for a sidecar): the kubelet
      // reads progress from the last one, since earlier instances may have been removed.
      const inits = pod.spec!.initContainers ?? [];
      const last = inits[inits.length - 1];
      const s = last && newest(observed, last.name);
      const lastDone =
        s !== undefined && (last!.restartPolicy === 'Always' ? s.state === 'running' : s.state === 'exited' && s.exitCode === 0);
      assert.ok(inits.length === 0 || (!a.createSandbox && (initializedBefore || lastDone)));
      assert.ok(!planned.some((s) => s.kind === 'init'), 'an init container and a regular container in one plan');
    }),
    { numRuns: 2000 },
  );
});

test('property: a container is never both to start and in back-off, and starts at most once', () => {
  fc.assert(
    fc.property(world, ({ pod, observed, ctx }) => {
      const a = computePodActions(pod, observed, ctx);
      const starting = a.containersToStart.map((s) => s.name);
      assert.equal(new Set(starting).size, starting.length);
      for (const b of a.containersInBackOff) assert.ok(!starting.includes(b.name), b.name);
    }),
    { numRuns: 2000 },
  );
});

test('property: restartCount is the newest instance + 1 (0 if none; its own when created in the current sandbox and never started); at most one plain init container starts', () => {
  fc.assert(
    fc.property(world, ({ pod, observed, ctx }) => {
      const a = computePodActions(pod, observed, ctx);
      for (const s of a.containersToStart) {
        const prior = newest(observed, s.name);
        const sb = observed?.sandboxes[0];
        const resume = prior?.state === 'created' && sb?.state === 'ready' && prior.sandboxId === sb.id;
        assert.equal(s.restartCount, prior ? prior.restartCount + (resume ? 0 : 1) : 0);
      }
      assert.ok(a.containersToStart.filter((s) => s.kind === 'init').length <= 1);
      // Killing the pod without a new sandbox starts nothing.
      if (a.killPod && !a.createSandbox) assert.deepEqual(a.containersToStart, []);
    }),
    { numRuns: 2000 },
  );
});
