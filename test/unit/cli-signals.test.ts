// SIGINT/SIGTERM as the kubelet handles them: the first one shuts down gracefully, a second one of either kind exits with code 1.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { firstShutdownSignal, type ShutdownLogger } from '../../src/cli/signals.js';

function setup() {
  const source = new EventEmitter();
  const lines: string[] = [];
  const logger: ShutdownLogger = { info: (_o, msg) => lines.push(`info ${msg}`), warn: (_o, msg) => lines.push(`warn ${msg}`) };
  const exits: number[] = [];
  const done = firstShutdownSignal(source, logger, (code) => exits.push(code));
  return { source, lines, exits, done };
}

describe('firstShutdownSignal (kubelet: SetupSignalContext)', () => {
  for (const [first, second] of [['SIGINT', 'SIGINT'], ['SIGTERM', 'SIGINT'], ['SIGINT', 'SIGTERM'], ['SIGTERM', 'SIGTERM']] as const) {
    it(`${first} starts the shutdown; ${second} after it exits with code 1`, async () => {
      const { source, lines, exits, done } = setup();
      source.emit(first);
      assert.equal(await done, first);
      assert.deepEqual(exits, [], 'the first signal does not exit');
      source.emit(second);
      assert.deepEqual(exits, [1]);
      assert.match(lines.at(-1)!, /^warn second signal: exiting now/);
    });
  }

  it('nothing happens before a signal, and after the first only the second-signal listeners are left', async () => {
    const { source, exits, done } = setup();
    assert.equal(source.listenerCount('SIGINT'), 1);
    assert.equal(source.listenerCount('SIGTERM'), 1);
    source.emit('SIGTERM');
    await done;
    assert.equal(source.listenerCount('SIGINT'), 1);
    assert.equal(source.listenerCount('SIGTERM'), 1);
    assert.deepEqual(exits, []);
  });
});
