import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Node, V1NodeStatus } from '@kubernetes/client-node';
import { nodeStatusHasChanged, nodeStatusPatch } from '../../src/node/node-status-patch.js';

const t = (s: number) => new Date(Date.parse('2024-05-01T10:00:00Z') + s * 1000);
const ready = (hb: number, status = 'True', transition = 0) => ({ type: 'Ready', status, reason: 'KubeletReady', message: 'ok', lastHeartbeatTime: t(hb), lastTransitionTime: t(transition) });
const base = (): V1NodeStatus => ({
  conditions: [ready(0)],
  capacity: { cpu: '2', memory: '1Gi' },
  allocatable: { cpu: '2', memory: '900Mi' },
  addresses: [{ type: 'InternalIP', address: '10.0.0.1' }, { type: 'Hostname', address: 'n1' }],
  nodeInfo: { kubeletVersion: 'v1', kernelVersion: 'k', osImage: 'o', containerRuntimeVersion: 'c', kubeProxyVersion: 'v1', machineID: 'm', systemUUID: 'u', bootID: 'b', operatingSystem: 'linux', architecture: 'amd64' },
  images: [{ names: ['a'], sizeBytes: 1 }],
  daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
});

describe('nodeStatusHasChanged (heartbeats ignored)', () => {
  const cases: Array<[string, (s: V1NodeStatus) => void, boolean]> = [
    ['nothing', () => {}, false],
    ['only the heartbeat', (s) => (s.conditions = [ready(10)]), false],
    ['the heartbeat as a string with ms, as read back', (s) => ((s.conditions![0] as { lastTransitionTime: unknown }).lastTransitionTime = '2024-05-01T10:00:00.400Z'), false],
    ['the same quantity written otherwise', (s) => (s.capacity = { cpu: '2000m', memory: '1073741824' }), false],
    ['conditions in another order', (s) => { s.conditions = [{ type: 'X', status: 'False' }, ready(0)]; }, true],
    ['Ready flips', (s) => (s.conditions = [ready(0, 'False', 5)]), true],
    ['capacity', (s) => (s.capacity = { cpu: '4', memory: '1Gi' }), true],
    ['an image', (s) => (s.images = []), true],
    ['nodeInfo', (s) => (s.nodeInfo!.containerRuntimeVersion = 'containerd://Unknown'), true],
    ['addresses', (s) => (s.addresses = [{ type: 'InternalIP', address: '10.0.0.2' }]), true],
  ];
  for (const [name, edit, want] of cases) {
    it(name, () => {
      const b = structuredClone(base());
      edit(b);
      assert.equal(nodeStatusHasChanged(base(), b), want);
    });
  }
});

describe('nodeStatusPatch', () => {
  const node = (status: V1NodeStatus, labels: Record<string, string> = { a: '1' }): V1Node => ({ metadata: { name: 'n1', labels }, status });

  it('nothing changed: no patch', () => assert.equal(nodeStatusPatch(node(base()), node(base())), undefined));

  it('a heartbeat: the changed conditions only, whole', () => {
    const b = base();
    b.conditions = [ready(10)];
    assert.deepEqual(nodeStatusPatch(node(base()), node(b)), { status: { conditions: [ready(10)] } });
  });

  it('quantities by name, a removed one as null, one written otherwise left out', () => {
    const b = base();
    b.capacity = { cpu: '2000m', memory: '2Gi', 'hugepages-2Mi': '0' };
    b.allocatable = { cpu: '2' };
    assert.deepEqual(nodeStatusPatch(node(base()), node(b)), {
      status: { capacity: { memory: '2Gi', 'hugepages-2Mi': '0' }, allocatable: { memory: null } },
    });
  });

  it('changed addresses replace the list (fixupPatchForNodeStatusAddresses)', () => {
    const b = base();
    b.addresses = [{ type: 'InternalIP', address: '10.0.0.2' }];
    assert.deepEqual(nodeStatusPatch(node(base()), node(b))?.status, { addresses: [{ type: 'InternalIP', address: '10.0.0.2' }, { $patch: 'replace' }] });
    const first = base();
    delete first.addresses;
    assert.deepEqual(nodeStatusPatch(node(first), node(base()))?.status, { addresses: base().addresses }, 'none before: a plain list');
  });

  it('nodeInfo by field; images and endpoints whole; labels in metadata', () => {
    const b = base();
    b.nodeInfo!.bootID = 'b2';
    b.images = [{ names: ['x'], sizeBytes: 2 }];
    b.daemonEndpoints = { kubeletEndpoint: { Port: 10251 } };
    assert.deepEqual(nodeStatusPatch(node(base()), node(b, { a: '2', os: 'linux' })), {
      metadata: { labels: { a: '2', os: 'linux' } },
      status: { nodeInfo: { bootID: 'b2' }, images: [{ names: ['x'], sizeBytes: 2 }], daemonEndpoints: { kubeletEndpoint: { Port: 10251 } } },
    });
  });
});
