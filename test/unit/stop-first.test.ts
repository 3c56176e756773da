// StopFirst: a sandbox stop or removal waits while any container stop is pending on the node, for at most maxWaitMs.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StopFirst } from '../../src/podworker/stop-first.js';

/** Whether `p` has settled after the pending callbacks ran. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(() => (done = true));
  await new Promise((r) => setImmediate(r));
  return done;
}

function deferred() {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

describe('StopFirst', () => {
  it('with no stop pending, stopsDone resolves at once', async () => {
    assert.equal(await settled(new StopFirst(60_000).stopsDone()), true);
  });

  it('stopsDone waits for every pending stop, and a failed stop counts as settled', async () => {
    const gate = new StopFirst(60_000);
    const a = deferred();
    const b = deferred();
    const stopA = gate.stopping(() => a.promise);
    const stopB = gate.stopping(() => b.promise).catch((e: Error) => e.message);
    assert.equal(gate.pendingStops, 2);
    const waiting = gate.stopsDone();
    a.resolve();
    await stopA;
    assert.equal(await settled(waiting), false, 'one stop is still pending');
    b.reject(new Error('runtime said no'));
    assert.equal(await stopB, 'runtime said no', 'the stop\'s own error reaches its caller');
    assert.equal(await settled(waiting), true);
    assert.equal(gate.pendingStops, 0);
  });

  it('a stop that never ends holds a waiter for maxWaitMs only', async () => {
    const gate = new StopFirst(30);
    void gate.stopping(() => new Promise(() => undefined));
    const t0 = performance.now();
    await gate.stopsDone();
    const waited = performance.now() - t0;
    assert.ok(waited >= 25 && waited < 1000, `waited ${waited} ms`);
    assert.equal(gate.pendingStops, 1);
  });
});
