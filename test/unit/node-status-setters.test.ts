import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Node } from '@kubernetes/client-node';
import type { Image } from '../../src/cri/types.js';
import { daemonEndpoints, goRuntime, images, machineInfo, nodeAddress, versionInfo } from '../../src/node/node-status.js';
import { KUBELET_VERSION, prettyName, type SystemInfo } from '../../src/node/system-info.js';

const system: SystemInfo = { osImage: 'Debian GNU/Linux 12 (bookworm)', kernelVersion: '6.1.0', bootID: 'boot-2', machineID: 'm-1', systemUUID: 'u-1' };
const resources = {
  capacity: { cpu: '2', memory: '25273999360', 'ephemeral-storage': '270465425408', pods: '110', 'hugepages-2Mi': '0' },
  allocatable: { cpu: '2', memory: '25169141760', 'ephemeral-storage': '243418882867', pods: '110', 'hugepages-2Mi': '0' },
};
const img = (size: number, tags: string[], digests: string[] = []): Image => ({ id: `sha256:${size}`, repoTags: tags, repoDigests: digests, size, username: '', pinned: false });

describe('node status setters (nodestatus/setters.go)', () => {
  it('NodeAddress: InternalIP then Hostname', () => {
    const node: V1Node = {};
    nodeAddress('10.0.0.5', 'n1')(node);
    assert.deepEqual(node.status?.addresses, [{ type: 'InternalIP', address: '10.0.0.5' }, { type: 'Hostname', address: 'n1' }]);
  });

  it('MachineInfo: capacity and allocatable as the kubelet writes them, others\' resources kept', () => {
    const events: string[] = [];
    const node: V1Node = {
      status: {
        capacity: { 'example.com/gpu': '4', 'example.com/gone': '1' },
        allocatable: { 'example.com/gpu': '3', 'example.com/stale': '1' },
      },
    };
    delete node.status!.capacity!['example.com/gone'];
    machineInfo({ nodeName: 'n1', resources, system, recordEvent: (t, r, m) => events.push(`${t} ${r} ${m}`) })(node);
    assert.equal(node.status?.capacity?.memory, '24681640Ki', 'BinarySI, as cAdvisor gives it');
    assert.equal(node.status?.capacity?.cpu, '2');
    assert.equal(node.status?.capacity?.['example.com/gpu'], '4');
    assert.equal(node.status?.allocatable?.memory, '24579240Ki');
    assert.equal(node.status?.allocatable?.['ephemeral-storage'], '243418882867', 'not a whole Ki: plain bytes');
    assert.equal(node.status?.allocatable?.['example.com/gpu'], '4', 'a resource we do not reserve from: allocatable = capacity');
    assert.equal(node.status?.allocatable?.['example.com/stale'], undefined, 'an extended resource gone from capacity leaves allocatable');
    assert.equal(node.status?.nodeInfo?.machineID, 'm-1');
    assert.equal(node.status?.nodeInfo?.systemUUID, 'u-1');
    assert.equal(node.status?.nodeInfo?.bootID, 'boot-2');
    assert.deepEqual(events, [], 'no earlier boot ID: no Rebooted');
  });

  it('MachineInfo: a new boot ID records Rebooted', () => {
    const events: string[] = [];
    const node = { status: { nodeInfo: { bootID: 'boot-1' } } } as V1Node;
    machineInfo({ nodeName: 'n1', resources, system, recordEvent: (t, r, m) => events.push(`${t} ${r} ${m}`) })(node);
    assert.deepEqual(events, ['Warning Rebooted Node n1 has been rebooted, boot id: boot-2']);
  });

  it('VersionInfo: kernel, OS image, runtime and kubelet versions', () => {
    const node: V1Node = {};
    versionInfo(system, 'containerd', () => ({ runtimeName: 'containerd', runtimeVersion: '1.6.20~ds1' }))(node);
    const info = node.status!.nodeInfo!;
    assert.equal(info.containerRuntimeVersion, 'containerd://1.6.20~ds1');
    assert.equal(info.kernelVersion, '6.1.0');
    assert.equal(info.osImage, 'Debian GNU/Linux 12 (bookworm)');
    assert.equal(info.kubeletVersion, KUBELET_VERSION);
    assert.match(KUBELET_VERSION, /^v1\.28\.0\+mini-kubelet\.\d+\.\d+\.\d+$/);
    versionInfo(system, 'containerd', () => undefined)(node);
    assert.equal(node.status!.nodeInfo!.containerRuntimeVersion, 'containerd://Unknown', 'Version failing');
  });

  it('DaemonEndpoints and GoRuntime', () => {
    const node: V1Node = {};
    daemonEndpoints(10250)(node);
    goRuntime()(node);
    assert.deepEqual(node.status?.daemonEndpoints, { kubeletEndpoint: { Port: 10250 } });
    assert.equal(node.status?.nodeInfo?.operatingSystem, 'linux');
    assert.ok(['amd64', 'arm64'].includes(node.status?.nodeInfo?.architecture ?? ''));
  });

  describe('Images', () => {
    const cases: Array<[string, number, Image[], { names: string[]; sizeBytes: number }[]]> = [
      ['largest first, digests before tags', 50, [img(10, ['a:1'], ['a@sha256:1']), img(30, ['b:1'])], [
        { names: ['b:1'], sizeBytes: 30 },
        { names: ['a@sha256:1', 'a:1'], sizeBytes: 10 },
      ]],
      ['at most max images', 1, [img(1, ['small:1']), img(2, ['big:1'])], [{ names: ['big:1'], sizeBytes: 2 }]],
      ['-1: no limit', -1, [img(1, ['x:1']), img(2, ['y:1'])], [{ names: ['y:1'], sizeBytes: 2 }, { names: ['x:1'], sizeBytes: 1 }]],
      ['at most 5 names', 50, [img(5, ['t:1', 't:2', 't:3', 't:4'], ['d1', 'd2'])], [{ names: ['d1', 'd2', 't:1', 't:2', 't:3'], sizeBytes: 5 }]],
    ];
    for (const [name, max, list, want] of cases) {
      it(name, () => {
        const node: V1Node = {};
        assert.equal(images(max, () => list)(node), undefined);
        assert.deepEqual(node.status?.images, want);
      });
    }
    it('a failed list: no images, and the error', () => {
      const node: V1Node = { status: { images: [{ names: ['old'], sizeBytes: 1 }] } };
      assert.equal(images(50, () => new Error('unavailable'))(node), 'error getting image list: unavailable');
      assert.deepEqual(node.status?.images, []);
    });
  });

  it('os-release PRETTY_NAME, quoted or not, else Linux', () => {
    assert.equal(prettyName('NAME="Debian"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n'), 'Debian GNU/Linux 12 (bookworm)');
    assert.equal(prettyName('PRETTY_NAME=Alpine\n'), 'Alpine');
    assert.equal(prettyName('NAME=x\n'), 'Linux');
  });
});
