// The start-up warning for a node API the API server cannot reach (loopback --address, a node IP that is not).
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { unreachableWarning } from '../../src/cli/run-node-api.js';

it('warns when the node API is on loopback and the Node\'s InternalIP is not, and only then', () => {
  assert.match(unreachableWarning('127.0.0.1', '192.0.2.2') ?? '', /listens on 127\.0\.0\.1 but the Node's InternalIP is 192\.0\.2\.2: the API server cannot reach it/);
  assert.match(unreachableWarning('::1', '10.0.0.5') ?? '', /--address 0\.0\.0\.0/);
  assert.equal(unreachableWarning('127.0.0.1', '127.0.0.1'), undefined, 'a control plane on this machine dials loopback');
  assert.equal(unreachableWarning('0.0.0.0', '192.0.2.2'), undefined);
  assert.equal(unreachableWarning('192.0.2.2', '192.0.2.2'), undefined);
});
