import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import type { RuntimeCondition, RuntimeStatusResponse } from '../../src/cri/types.js';
import { NETWORK_UNKNOWN, RuntimeState } from '../../src/node/runtime-state.js';
import { FakeClock } from '../support/fake-prober-clock.js';

const logger = pino({ level: 'silent' });
const cond = (type: string, status: boolean, reason = '', message = ''): RuntimeCondition => ({ type, status, reason, message });
const healthy: RuntimeStatusResponse = { status: { conditions: [cond('RuntimeReady', true), cond('NetworkReady', true)] }, info: {} };

function setup() {
  const clock = new FakeClock(1_000_000);
  let status: RuntimeStatusResponse | Error = healthy;
  let pleg = { ok: true, message: 'pleg was last seen active 1ms ago' };
  const cri = {
    status: async () => {
      if (status instanceof Error) throw status;
      return status;
    },
    version: async () => ({ version: '0.1.0', runtimeName: 'containerd', runtimeVersion: '1.6.20', runtimeApiVersion: 'v1' }),
  };
  const state = new RuntimeState({ cri, clock, logger, healthChecks: [{ name: 'PLEG', check: () => pleg }] });
  return {
    clock,
    state,
    setStatus: (s: RuntimeStatusResponse | Error) => (status = s),
    setPleg: (p: typeof pleg) => (pleg = p),
  };
}

describe('RuntimeState (kubelet runtimeState + updateRuntimeUp)', () => {
  it('before the first Status: not completed yet, network unknown', () => {
    const { state } = setup();
    assert.deepEqual(state.runtimeErrors(), ['container runtime status check may not have completed yet']);
    assert.deepEqual(state.networkErrors(), [NETWORK_UNKNOWN]);
    assert.equal(state.runtimeVersion(), undefined);
  });

  it('a ready runtime: no errors, and its version', async () => {
    const { state } = setup();
    await state.updateRuntimeUp();
    assert.deepEqual(state.runtimeErrors(), []);
    assert.deepEqual(state.networkErrors(), []);
    assert.deepEqual(state.runtimeVersion(), { runtimeName: 'containerd', runtimeVersion: '1.6.20' });
  });

  it('conditions false or missing, in the kubelet\'s words', async () => {
    const { state, setStatus } = setup();
    setStatus({ status: { conditions: [cond('RuntimeReady', false, 'Broken', 'it broke'), cond('NetworkReady', false, 'NetworkPluginNotReady', 'cni plugin not initialized')] }, info: {} });
    await state.updateRuntimeUp();
    assert.deepEqual(state.runtimeErrors(), [
      'container runtime status check may not have completed yet',
      'container runtime not ready: RuntimeReady=false reason:Broken message:it broke',
    ]);
    assert.deepEqual(state.networkErrors(), ['container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:cni plugin not initialized']);
    setStatus({ status: { conditions: [] }, info: {} });
    await state.updateRuntimeUp();
    assert.deepEqual(state.networkErrors(), ['container runtime network not ready: <nil>']);
    assert.match(state.runtimeErrors().at(-1)!, /container runtime not ready: <nil>/);
  });

  it('Status failing for 30 s: the runtime is down; answering again clears it', async () => {
    const { state, setStatus, clock } = setup();
    await state.updateRuntimeUp();
    setStatus(new Error('connection refused'));
    await clock.advance(29_000);
    await state.updateRuntimeUp();
    assert.deepEqual(state.runtimeErrors(), [], 'within the threshold');
    assert.equal(state.runtimeVersion(), undefined, 'nodeInfo says Unknown meanwhile');
    await clock.advance(1_000);
    assert.deepEqual(state.runtimeErrors(), ['container runtime is down']);
    setStatus(healthy);
    await state.updateRuntimeUp();
    assert.deepEqual(state.runtimeErrors(), []);
  });

  it('the PLEG health check', async () => {
    const { state, setPleg } = setup();
    await state.updateRuntimeUp();
    setPleg({ ok: false, message: 'pleg was last seen active 180001ms ago; threshold is 180000ms' });
    assert.deepEqual(state.runtimeErrors(), ['PLEG is not healthy: pleg was last seen active 180001ms ago; threshold is 180000ms']);
  });

  it('polls every 5 s once started', async () => {
    const { state, setStatus, clock } = setup();
    setStatus({ status: { conditions: [cond('RuntimeReady', false, 'R', 'm'), cond('NetworkReady', true)] }, info: {} });
    state.start();
    await clock.advance(1);
    assert.match(state.runtimeErrors().join(), /container runtime not ready/);
    setStatus(healthy);
    await clock.advance(5_000);
    assert.deepEqual(state.runtimeErrors(), []);
    state.stop();
  });
});
