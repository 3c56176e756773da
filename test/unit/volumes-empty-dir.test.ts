// emptyDir: on disk (0777, set up once, files survive), medium Memory as a tmpfs with the kubelet's size rule, fsGroup ownership.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Pod, V1Volume } from '@kubernetes/client-node';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { podMemoryLimit, setUpEmptyDir, tmpfsSizeBytes } from '../../src/volumes/empty-dir.js';
import { FakeMounter } from '../support/fake-mounter.js';

const root = mkdtempSync(path.join(tmpdir(), 'mk-emptydir-'));
after(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
const pod = (spec: Partial<NonNullable<V1Pod['spec']>> = {}): V1Pod => ({
  metadata: { name: 'p', namespace: 'default', uid: `uid-${++n}` },
  spec: { containers: [{ name: 'c', image: 'busybox' }], ...spec },
});
const mem = (limit?: string) => ({ name: 'c', image: 'busybox', ...(limit ? { resources: { limits: { memory: limit } } } : {}) });

test('on disk: <root>/pods/<uid>/volumes/kubernetes.io~empty-dir/<name>, mode 0777, a ready marker', async () => {
  const p = pod();
  const dir = await setUpEmptyDir(p, { name: 'cache', emptyDir: {} }, { rootDir: root, mounter: new FakeMounter() });
  assert.equal(dir, path.join(root, 'pods', p.metadata!.uid!, 'volumes/kubernetes.io~empty-dir/cache'));
  assert.equal(statSync(dir).mode & 0o7777, 0o777);
  assert.ok(existsSync(path.join(root, 'pods', p.metadata!.uid!, 'plugins/kubernetes.io~empty-dir/cache/ready')));
});

test('set up twice: the files written in between survive, fsGroup is not re-applied', async () => {
  const p = pod({ securityContext: { fsGroup: 4242 } });
  const v: V1Volume = { name: 'data', emptyDir: {} };
  const ctx = { rootDir: root, mounter: new FakeMounter() };
  const dir = await setUpEmptyDir(p, v, ctx);
  writeFileSync(path.join(dir, 'kept'), 'hello', { mode: 0o600 });
  await setUpEmptyDir(p, v, ctx);
  assert.equal(readFileSync(path.join(dir, 'kept'), 'utf8'), 'hello');
  // A second walk would have added group rw (0660); the kubelet applies fsGroup once per set-up.
  assert.equal(statSync(path.join(dir, 'kept')).mode & 0o777, 0o600);
});

test('fsGroup: the directory belongs to the group, with setgid (SetVolumeOwnership)', async () => {
  const p = pod({ securityContext: { fsGroup: 4242 } });
  const dir = await setUpEmptyDir(p, { name: 'shared', emptyDir: {} }, { rootDir: root, mounter: new FakeMounter() });
  const st = statSync(dir);
  assert.equal(st.gid, 4242);
  assert.equal(st.mode & 0o7777, 0o2777);
});

test('medium Memory: a tmpfs mounted once with size=sizeLimit; set up again while mounted does nothing', async () => {
  const p = pod();
  const v: V1Volume = { name: 'ram', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } };
  const mounter = new FakeMounter();
  const dir = await setUpEmptyDir(p, v, { rootDir: root, mounter });
  assert.deepEqual(mounter.calls, [`mount ${dir} size=${64 * 1024 * 1024}`]);
  await setUpEmptyDir(p, v, { rootDir: root, mounter });
  assert.equal(mounter.calls.length, 1);
  // Gone (a reboot, a manual umount): mounted again although the ready marker is there.
  await mounter.unmount(dir);
  await setUpEmptyDir(p, v, { rootDir: root, mounter });
  assert.equal(mounter.calls.at(-1), `mount ${dir} size=${64 * 1024 * 1024}`);
});

test('unknown and huge-page media are refused with the medium in the message', async () => {
  const ctx = { rootDir: root, mounter: new FakeMounter() };
  await assert.rejects(setUpEmptyDir(pod(), { name: 'x', emptyDir: { medium: 'Disk' } }, ctx), /unknown storage medium "Disk"/);
  await assert.rejects(setUpEmptyDir(pod(), { name: 'x', emptyDir: { medium: 'HugePages' } }, ctx), /medium "HugePages" is not supported/);
});

const GI = 1024 ** 3;
const MI = 1024 ** 2;
const sizeCases: { name: string; pod: V1Pod; sizeLimit?: string; node?: number; want: number | undefined }[] = [
  { name: 'nothing known: no size option', pod: pod(), want: undefined },
  { name: 'node allocatable only', pod: pod(), node: 8 * GI, want: 8 * GI },
  { name: 'sizeLimit below allocatable wins', pod: pod(), sizeLimit: '64Mi', node: 8 * GI, want: 64 * MI },
  { name: 'sizeLimit above allocatable is capped', pod: pod(), sizeLimit: '16Gi', node: 8 * GI, want: 8 * GI },
  { name: 'the pod memory limit caps when every container has one', pod: pod({ containers: [mem('100Mi'), mem('50Mi')] }), node: 8 * GI, want: 150 * MI },
  { name: 'no pod limit when a container has none', pod: pod({ containers: [mem('100Mi'), mem()] }), node: 8 * GI, want: 8 * GI },
  { name: 'sizeLimit under the pod limit', pod: pod({ containers: [mem('100Mi')] }), sizeLimit: '10Mi', node: 8 * GI, want: 10 * MI },
  { name: 'sizeLimit over the pod limit is ignored', pod: pod({ containers: [mem('100Mi')] }), sizeLimit: '1Gi', node: 8 * GI, want: 100 * MI },
  { name: 'sizeLimit 0 means none', pod: pod(), sizeLimit: '0', node: 8 * GI, want: 8 * GI },
];
for (const c of sizeCases) {
  test(`tmpfs size (calculateEmptyDirMemorySize): ${c.name}`, () => {
    const v: V1Volume = { name: 'v', emptyDir: { medium: 'Memory', ...(c.sizeLimit ? { sizeLimit: c.sizeLimit } : {}) } };
    assert.equal(tmpfsSizeBytes(c.pod, v, c.node), c.want);
  });
}

test('podMemoryLimit: init containers take the max, sidecars add up', () => {
  const p = pod({
    initContainers: [{ ...mem('300Mi'), name: 'init' }, { ...mem('20Mi'), name: 'side', restartPolicy: 'Always' }],
    containers: [mem('100Mi')],
  });
  assert.equal(podMemoryLimit(p), 300 * MI);
  const q = pod({ initContainers: [{ ...mem('20Mi'), name: 'side', restartPolicy: 'Always' }], containers: [mem('100Mi')] });
  assert.equal(podMemoryLimit(q), 120 * MI);
});
