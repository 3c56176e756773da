// Table cases for parseEndpoint: the --container-runtime-endpoint forms the kubelet accepts and refuses.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseEndpoint } from '../../src/cri/endpoint.js';

describe('parseEndpoint', () => {
  const ok: [name: string, input: string, socketPath: string][] = [
    ['unix URL with absolute path', 'unix:///run/containerd/containerd.sock', '/run/containerd/containerd.sock'],
    ['plain absolute path', '/run/containerd/containerd.sock', '/run/containerd/containerd.sock'],
    ['plain relative path, made absolute', 'run/cri.sock', '/work/dev/run/cri.sock'],
    ['unix: with a single slash', 'unix:/tmp/x.sock', '/tmp/x.sock'],
    ['unix: with a relative path', 'unix:x.sock', '/work/dev/x.sock'],
    ['surrounding whitespace', '  unix:///tmp/a.sock\n', '/tmp/a.sock'],
    ['dot segments normalised', 'unix:///tmp/../run/a.sock', '/run/a.sock'],
    ['scheme in upper case', 'UNIX:///tmp/a.sock', '/tmp/a.sock'],
  ];
  for (const [name, input, socketPath] of ok) {
    it(`accepts ${name}`, () => {
      const e = parseEndpoint(input, '/work/dev');
      assert.equal(e.socketPath, socketPath);
      assert.equal(e.target, `unix://${socketPath}`);
    });
  }

  const bad: [name: string, input: string, message: RegExp][] = [
    ['tcp', 'tcp://127.0.0.1:1234', /protocol "tcp".*only unix sockets/],
    ['npipe', 'npipe:////./pipe/containerd', /protocol "npipe"/],
    ['empty', '', /empty container runtime endpoint/],
    ['unix URL with a host part', 'unix://run/containerd.sock', /host part/],
    ['unix URL without a path', 'unix://', /no socket path/],
  ];
  for (const [name, input, message] of bad) {
    it(`refuses ${name}`, () => {
      assert.throws(() => parseEndpoint(input, '/work/dev'), message);
    });
  }
});
