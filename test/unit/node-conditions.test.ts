import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Node } from '@kubernetes/client-node';
import { aggregateMessage, pressureCondition, readyCondition, schedulableEvent } from '../../src/node/node-conditions.js';

const T0 = Date.parse('2024-05-01T10:00:00.000Z');
const full = { cpu: '2', memory: '1Gi', pods: '110', 'ephemeral-storage': '10Gi' };

function ready(errors: string[], node: V1Node, opts: { now?: number; appArmor?: boolean } = {}) {
  const events: string[] = [];
  readyCondition({ now: () => opts.now ?? T0, errors: () => errors, appArmorEnabled: opts.appArmor ?? false, recordEvent: (t, e) => events.push(`${t} ${e}`) })(node);
  return { cond: node.status!.conditions!.find((c) => c.type === 'Ready')!, events };
}

describe('aggregateMessage (apimachinery errors.NewAggregate)', () => {
  const cases: Array<[string[], string | undefined]> = [
    [[], undefined],
    [['a'], 'a'],
    [['a', 'b'], '[a, b]'],
    [['a', 'a', 'b'], '[a, b]'],
    [['a', 'a'], 'a'],
  ];
  for (const [input, want] of cases) it(JSON.stringify(input), () => assert.equal(aggregateMessage(input), want));
});

describe('ReadyCondition', () => {
  const cases: Array<[string, string[], Record<string, string>, string, string, string]> = [
    ['all well', [], full, 'True', 'KubeletReady', 'kubelet is posting ready status'],
    ['runtime down', ['container runtime is down'], full, 'False', 'KubeletNotReady', 'container runtime is down'],
    ['before the first runtime status, PLEG not yet', ['container runtime status check may not have completed yet', 'PLEG is not healthy: pleg has yet to be successful'], full, 'False', 'KubeletNotReady',
      '[container runtime status check may not have completed yet, PLEG is not healthy: pleg has yet to be successful]'],
    ['network not ready', ['container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:cni plugin not initialized'], full, 'False', 'KubeletNotReady',
      'container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:cni plugin not initialized'],
    ['capacity missing', [], { cpu: '1', pods: '1' }, 'False', 'KubeletNotReady', 'missing node capacity for resources: memory, ephemeral-storage'],
  ];
  for (const [name, errors, capacity, status, reason, message] of cases) {
    it(name, () => {
      const { cond, events } = ready(errors, { status: { capacity } });
      assert.deepEqual([cond.status, cond.reason, cond.message], [status, reason, message]);
      assert.deepEqual(cond.lastTransitionTime, new Date(T0));
      assert.deepEqual(events, [], 'a new condition records no NodeReady/NodeNotReady');
    });
  }

  it('AppArmor enabled is said on a ready node only', () => {
    assert.equal(ready([], { status: { capacity: full } }, { appArmor: true }).cond.message, 'kubelet is posting ready status. AppArmor enabled');
    assert.equal(ready(['x'], { status: { capacity: full } }, { appArmor: true }).cond.message, 'x');
  });

  it('the transition time moves, and an event is recorded, only when the status flips; it is kept the last condition', () => {
    const node: V1Node = { status: { capacity: full } };
    ready([], node);
    node.status!.conditions!.push({ type: 'NetworkUnavailable', status: 'False' });
    let r = ready([], node, { now: T0 + 10_500 });
    assert.deepEqual(r.cond.lastTransitionTime, new Date(T0));
    assert.deepEqual(r.cond.lastHeartbeatTime, new Date(T0 + 10_000), 'whole seconds, as metav1.Time');
    assert.deepEqual(r.events, []);
    r = ready(['container runtime is down'], node, { now: T0 + 20_000 });
    assert.deepEqual(r.cond.lastTransitionTime, new Date(T0 + 20_000));
    assert.deepEqual(r.events, ['Normal NodeNotReady']);
    r = ready([], node, { now: T0 + 30_000 });
    assert.deepEqual(r.events, ['Normal NodeReady']);
    assert.equal(node.status!.conditions!.length, 2, 'replaced in place, not appended');
  });
});

describe('pressure conditions', () => {
  const cases = [
    ['MemoryPressure', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available', 'NodeHasSufficientMemory', 'KubeletHasInsufficientMemory', 'NodeHasInsufficientMemory'],
    ['DiskPressure', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure', 'NodeHasNoDiskPressure', 'KubeletHasDiskPressure', 'NodeHasDiskPressure'],
    ['PIDPressure', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available', 'NodeHasSufficientPID', 'KubeletHasInsufficientPID', 'NodeHasInsufficientPID'],
  ] as const;
  for (const [type, okReason, okMessage, okEvent, badReason, badEvent] of cases) {
    it(type, () => {
      const node: V1Node = {};
      let pressure = false;
      let now = T0;
      const events: string[] = [];
      const set = pressureCondition(type, { now: () => now, underPressure: () => pressure, recordEvent: (_t, e) => events.push(e) });
      set(node);
      const c = () => node.status!.conditions!.find((x) => x.type === type)!;
      assert.deepEqual([c().status, c().reason, c().message], ['False', okReason, okMessage]);
      assert.deepEqual(events, [okEvent], 'Unknown → False records it');
      now += 10_000;
      set(node);
      assert.deepEqual(c().lastHeartbeatTime, new Date(now));
      assert.deepEqual(c().lastTransitionTime, new Date(T0));
      assert.equal(events.length, 1);
      pressure = true;
      set(node);
      assert.deepEqual([c().status, c().reason], ['True', badReason]);
      assert.deepEqual(events, [okEvent, badEvent]);
    });
  }
});

it('schedulable events follow kubectl cordon / uncordon', () => {
  const events: string[] = [];
  const set = schedulableEvent((_t, e) => events.push(e));
  set({ spec: {} });
  set({ spec: { unschedulable: true } });
  set({ spec: { unschedulable: true } });
  set({ spec: {} });
  assert.deepEqual(events, ['NodeNotSchedulable', 'NodeSchedulable']);
});
