// HostVolumeManager: setUpPod (every failure reported), mountsFor (makeMounts with /etc/hosts and the termination log), tearDownPod.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Container, V1Pod, V1PodSpec } from '@kubernetes/client-node';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { HostVolumeManager, VolumeError } from '../../src/volumes/manager.js';
import { FakeMounter } from '../support/fake-mounter.js';

const base = realpathSync(mkdtempSync(path.join(tmpdir(), 'mk-volmgr-')));
after(() => rmSync(base, { recursive: true, force: true }));
const root = path.join(base, 'root');
const hostDir = path.join(base, 'host-dir');
mkdirSync(hostDir);
const nodeHosts = path.join(base, 'node-hosts');
writeFileSync(nodeHosts, '127.0.0.1 localhost\n10.0.0.1 node-a\n');

let n = 0;
function pod(spec: Partial<V1PodSpec>, name = 'web'): V1Pod {
  return { metadata: { name, namespace: 'prod', uid: `uid-${++n}` }, spec: { containers: [], ...spec } };
}
const manager = (mounter = new FakeMounter()) =>
  new HostVolumeManager(root, { nodeName: 'node1', hostIP: '10.0.0.1', clusterDomain: 'cluster.local', nodeHostsFile: nodeHosts, mounter, clock: () => 0 });

test('mountsFor: volumeMounts in order, then /etc/hosts, then the termination log', async () => {
  const app: V1Container = {
    name: 'app', image: 'busybox', terminationMessagePath: '/dev/termination-log',
    volumeMounts: [
      { name: 'cache', mountPath: 'cache' },
      { name: 'host', mountPath: '/host', readOnly: true, mountPropagation: 'HostToContainer' },
      { name: 'info', mountPath: '/etc/podinfo' },
    ],
  };
  const p = pod({
    containers: [app],
    volumes: [
      { name: 'cache', emptyDir: {} },
      { name: 'host', hostPath: { path: hostDir, type: 'Directory' } },
      { name: 'info', downwardAPI: { items: [{ path: 'name', fieldRef: { fieldPath: 'metadata.name' } }] } },
    ],
  });
  const vm = manager();
  await vm.setUpPod(p);
  const mounts = await vm.mountsFor(p, app, 2, ['10.88.0.7']);
  const podDir = path.join(root, 'pods', p.metadata!.uid!);
  assert.deepEqual(mounts, [
    { containerPath: '/cache', hostPath: path.join(podDir, 'volumes/kubernetes.io~empty-dir/cache'), readonly: false, propagation: 'PROPAGATION_PRIVATE' },
    { containerPath: '/host', hostPath: hostDir, readonly: true, propagation: 'PROPAGATION_HOST_TO_CONTAINER' },
    { containerPath: '/etc/podinfo', hostPath: path.join(podDir, 'volumes/kubernetes.io~downward-api/info'), readonly: true, propagation: 'PROPAGATION_PRIVATE' },
    { containerPath: '/etc/hosts', hostPath: path.join(podDir, 'etc-hosts'), readonly: false },
    { containerPath: '/dev/termination-log', hostPath: path.join(podDir, 'containers/app/2.termination-log'), readonly: false },
  ]);
  assert.equal(readFileSync(path.join(podDir, 'volumes/kubernetes.io~downward-api/info/name'), 'utf8'), 'web');
  assert.match(readFileSync(path.join(podDir, 'etc-hosts'), 'utf8'), /\n10\.88\.0\.7\tweb\n$/);
});

test('/etc/hosts: the hostname with subdomain.ns.svc.<cluster-domain>, short even with setHostnameAsFQDN, and hostAliases', async () => {
  const c: V1Container = { name: 'c', image: 'busybox' };
  const p = pod({ containers: [c], hostname: 'db-0', subdomain: 'db', setHostnameAsFQDN: true, hostAliases: [{ ip: '10.1.1.1', hostnames: ['a', 'b'] }] });
  const vm = manager();
  await vm.setUpPod(p);
  const [hosts] = await vm.mountsFor(p, c, 0, ['10.88.0.8']);
  assert.match(readFileSync(hosts!.hostPath, 'utf8'), /\n10\.88\.0\.8\tdb-0\.db\.prod\.svc\.cluster\.local\tdb-0\n\n# Entries added by HostAliases\.\n10\.1\.1\.1\ta\tb\n$/);
});

test('/etc/hosts: a host-network pod gets the node file; none without pod IPs or when the container mounts its own', async () => {
  const own: V1Container = { name: 'own', image: 'busybox', volumeMounts: [{ name: 'h', mountPath: '/etc/hosts', subPath: 'hosts' }] };
  const plain: V1Container = { name: 'plain', image: 'busybox' };
  const p = pod({ hostNetwork: true, containers: [own, plain], volumes: [{ name: 'h', emptyDir: {} }] });
  const vm = manager();
  await vm.setUpPod(p);
  const [hosts] = await vm.mountsFor(p, plain, 0, ['10.0.0.1']);
  assert.equal(readFileSync(hosts!.hostPath, 'utf8'), '# Kubernetes-managed hosts file (host network).\n127.0.0.1 localhost\n10.0.0.1 node-a\n');
  assert.deepEqual(await vm.mountsFor(p, plain, 0, []), []);
  const ownMounts = await vm.mountsFor(p, own, 0, ['10.0.0.1']);
  assert.deepEqual(ownMounts.map((m) => m.containerPath), ['/etc/hosts']);
  assert.match(ownMounts[0]!.hostPath, /empty-dir\/h\/hosts$/);
});

test('subPathExpr expands from the container env, downward API values included', async () => {
  const c: V1Container = {
    name: 'c', image: 'busybox',
    env: [{ name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
    volumeMounts: [{ name: 'logs', mountPath: '/logs', subPathExpr: 'by-pod/$(POD)' }],
  };
  const p = pod({ containers: [c], volumes: [{ name: 'logs', emptyDir: {} }] }, 'api');
  const vm = manager();
  await vm.setUpPod(p);
  const [m] = await vm.mountsFor(p, c, 0);
  assert.equal(m!.hostPath, path.join(root, 'pods', p.metadata!.uid!, 'volumes/kubernetes.io~empty-dir/logs/by-pod/api'));
  assert.ok(existsSync(m!.hostPath));
});

const refusals: { name: string; container: Partial<V1Container>; message: RegExp }[] = [
  { name: 'Bidirectional in an unprivileged container', container: { volumeMounts: [{ name: 'v', mountPath: '/v', mountPropagation: 'Bidirectional' }] }, message: /Bidirectional mount propagation is available only to privileged containers/ },
  { name: 'an unknown propagation mode', container: { volumeMounts: [{ name: 'v', mountPath: '/v', mountPropagation: 'Sideways' }] }, message: /invalid MountPropagation mode: "Sideways"/ },
  { name: 'recursiveReadOnly Enabled (containerd 1.6 cannot)', container: { volumeMounts: [{ name: 'v', mountPath: '/v', readOnly: true, recursiveReadOnly: 'Enabled' }] }, message: /requested recursive read-only mode, but it is not supported by the runtime/ },
  { name: 'recursiveReadOnly on a writable mount', container: { volumeMounts: [{ name: 'v', mountPath: '/v', recursiveReadOnly: 'IfPossible' }] }, message: /requested recursive read-only mode, but it is not read-only/ },
  { name: 'a mount of no volume', container: { volumeMounts: [{ name: 'nope', mountPath: '/v' }] }, message: /cannot find volume "nope" to mount into container "c"/ },
  { name: 'a subPath out through a symlink', container: { volumeMounts: [{ name: 'v', mountPath: '/v', subPath: 'out' }] }, message: /subPath "out" resolves outside the volume/ },
];
for (const r of refusals) {
  test(`mountsFor refuses ${r.name} with a VolumeError`, async () => {
    const c: V1Container = { name: 'c', image: 'busybox', ...r.container };
    const p = pod({ containers: [c], volumes: [{ name: 'v', hostPath: { path: hostDir } }] });
    rmSync(path.join(hostDir, 'out'), { force: true });
    symlinkSync('/etc', path.join(hostDir, 'out'));
    const vm = manager();
    await vm.setUpPod(p);
    await assert.rejects(vm.mountsFor(p, c, 0), (e: Error) => e instanceof VolumeError && r.message.test(e.message));
  });
}

test('Bidirectional and IfPossible are fine in a privileged container', async () => {
  const c: V1Container = {
    name: 'c', image: 'busybox', securityContext: { privileged: true },
    volumeMounts: [{ name: 'v', mountPath: '/v', mountPropagation: 'Bidirectional' }, { name: 'v', mountPath: '/w', readOnly: true, recursiveReadOnly: 'IfPossible' }],
  };
  const p = pod({ containers: [c], volumes: [{ name: 'v', hostPath: { path: hostDir } }] });
  const mounts = await manager().mountsFor(p, c, 0);
  assert.deepEqual(mounts.map((m) => [m.propagation, m.readonly]), [['PROPAGATION_BIDIRECTIONAL', false], ['PROPAGATION_PRIVATE', true]]);
});

test('setUpPod tries every volume and reports each failure, kubelet-worded', async () => {
  const p = pod({
    volumes: [
      { name: 'ok', emptyDir: {} },
      { name: 'wrong', hostPath: { path: hostDir, type: 'File' } },
      { name: 'cm', configMap: { name: 'settings' } },
      { name: 'claim', persistentVolumeClaim: { claimName: 'data' } },
      { name: 'mixed', projected: { sources: [{ secret: { name: 's' } }] } },
    ],
  });
  const vm = manager();
  await assert.rejects(vm.setUpPod(p), (e: Error) => {
    assert.ok(e instanceof VolumeError);
    const parts = e.message.split('; ');
    assert.deepEqual(parts, [
      `MountVolume.SetUp failed for volume "wrong" : hostPath type check failed: ${hostDir} is not a file, it's a Directory`,
      'MountVolume.SetUp failed for volume "cm" : configMap volumes are not supported: a static pod has no API server to read it from',
      'MountVolume.SetUp failed for volume "claim" : persistentVolumeClaim volumes are not supported: a static pod has no API server to bind the claim',
      'MountVolume.SetUp failed for volume "mixed" : projected source sources[0].secret is not supported in static mode: there is no API server to read the Secret from (only downwardAPI sources are)',
    ]);
    return true;
  });
  assert.ok(existsSync(path.join(root, 'pods', p.metadata!.uid!, 'volumes/kubernetes.io~empty-dir/ok')), 'the good volume is set up anyway');
});

test('tearDownPod unmounts tmpfs volumes (deepest first) before removing the pod directory', async () => {
  const mounter = new FakeMounter();
  const vm = manager(mounter);
  const p = pod({ volumes: [{ name: 'ram', emptyDir: { medium: 'Memory' } }] });
  await vm.setUpPod(p);
  const podDir = path.join(root, 'pods', p.metadata!.uid!);
  mounter.mounts.push({ mountPoint: path.join(podDir, 'volumes/kubernetes.io~empty-dir/ram/nested'), fsType: 'tmpfs', superOptions: [] });
  await vm.tearDownPod(p.metadata!.uid!);
  assert.deepEqual(mounter.unmounted, [
    path.join(podDir, 'volumes/kubernetes.io~empty-dir/ram/nested'),
    path.join(podDir, 'volumes/kubernetes.io~empty-dir/ram'),
  ]);
  assert.equal(existsSync(podDir), false);
  await vm.tearDownPod(p.metadata!.uid!); // already gone: nothing to do
});

test('tearDownPod leaves the directory alone when something stays mounted', async () => {
  const mounter = new FakeMounter();
  const vm = manager(mounter);
  const p = pod({ volumes: [{ name: 'ram', emptyDir: { medium: 'Memory' } }] });
  await vm.setUpPod(p);
  const dir = path.join(root, 'pods', p.metadata!.uid!, 'volumes/kubernetes.io~empty-dir/ram');
  writeFileSync(path.join(dir, 'precious'), 'x');
  mounter.stuck.add(dir);
  await assert.rejects(vm.tearDownPod(p.metadata!.uid!), /still mounted/);
  assert.ok(existsSync(path.join(dir, 'precious')));
});
