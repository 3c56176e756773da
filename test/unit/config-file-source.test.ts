// Tests for the file source against a real temp directory: watch, periodic re-list, broken, hidden, too large and ever-changing files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rename, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONFIG_FIRST_SEEN_ANNOTATION } from '../../src/config/annotations.js';
import { createFileSource } from '../../src/config/file-source.js';
import { MAX_MANIFEST_BYTES, TOO_LARGE_MESSAGE } from '../../src/config/manifest-files.js';
import type { SourceLogger, SourceSnapshot } from '../../src/config/types.js';

const podYaml = (name: string, image = 'busybox:1.36') =>
  `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\nspec:\n  containers:\n  - name: app\n    image: ${image}\n`;

function recordingLogger(): SourceLogger & { warnings: string[]; debugs: string[] } {
  const warnings: string[] = [];
  const debugs: string[] = [];
  return { warnings, debugs, debug(_o: unknown, msg?: string) { debugs.push(msg ?? ''); }, info() {}, error() {}, warn(_o: unknown, msg?: string) { warnings.push(msg ?? ''); } };
}

/** Starts a source on `dir` and collects its snapshots; `until` waits for one that matches. */
async function harness(dir: string, opts: { checkFrequencyMs?: number; now?: () => number; debounceMs?: number } = {}) {
  const snapshots: SourceSnapshot[] = [];
  const waiters: Array<() => void> = [];
  const logger = recordingLogger();
  const source = createFileSource({
    manifestDir: dir, nodeName: 'node1', logger, debounceMs: opts.debounceMs ?? 20,
    checkFrequencyMs: opts.checkFrequencyMs ?? 60_000,
    clock: { now: opts.now ?? (() => Date.UTC(2024, 0, 1)) },
  });
  await source.start((s) => {
    snapshots.push(s);
    for (const w of waiters.splice(0)) w();
  });
  const names = (s: SourceSnapshot) => s.pods.map((p) => p.metadata!.name!).sort();
  async function until(pred: (s: SourceSnapshot) => boolean, what: string, timeoutMs = 5000): Promise<SourceSnapshot> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const last = snapshots.at(-1);
      if (last && pred(last)) return last;
      if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}; last snapshot: ${JSON.stringify(last && { pods: names(last), errors: last.errors })}`);
      await new Promise<void>((r) => { waiters.push(r); setTimeout(r, 50); });
    }
  }
  return { source, snapshots, until, names, logger };
}

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'mk-manifests-'));
}

test('file source: reads regular files, skips dotfiles and subdirectories, reports a broken file next to good ones', async () => {
  const dir = await tempDir();
  await writeFile(join(dir, 'a.yaml'), podYaml('alpha'));
  await writeFile(join(dir, 'b.json'), JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'beta' }, spec: { containers: [{ name: 'c', image: 'x:1' }] } }));
  await writeFile(join(dir, 'broken.yaml'), 'apiVersion: v1\nkind: Pod\nmetadata: {name: [oops\n');
  await writeFile(join(dir, '.hidden.yaml'), podYaml('hidden'));
  await writeFile(join(dir, '.a.yaml.swp'), 'garbage');
  await mkdir(join(dir, 'sub'));
  await writeFile(join(dir, 'sub', 'nested.yaml'), podYaml('nested'));
  const h = await harness(dir);
  try {
    assert.equal(h.snapshots.length, 1, 'start() resolves after the first snapshot');
    const s = h.snapshots[0]!;
    assert.equal(s.source, 'file');
    assert.deepEqual(h.names(s), ['alpha-node1', 'beta-node1']);
    assert.equal(s.errors.length, 1);
    assert.equal(s.errors[0]!.path, join(dir, 'broken.yaml'));
    assert.match(s.errors[0]!.message, /line \d+/);
    assert.deepEqual(h.logger.warnings, ['rejected manifest']);
  } finally {
    await h.source.stop();
    await rm(dir, { recursive: true });
  }
});

for (const debounceMs of [20, 0]) test(`file source: create, edit, rename and remove are seen through the watch (events gathered for ${debounceMs} ms, as the agent runs it: 0)`, async () => {
  const dir = await tempDir();
  const h = await harness(dir, { debounceMs });
  try {
    assert.deepEqual(h.snapshots[0]!.pods, []);
    await writeFile(join(dir, 'web.yaml'), podYaml('web'));
    const created = await h.until((s) => s.pods.length === 1, 'web to appear');
    const uid1 = created.pods[0]!.metadata!.uid;

    await writeFile(join(dir, 'web.yaml'), podYaml('web', 'busybox:1.37'));
    const edited = await h.until((s) => s.pods[0]?.spec!.containers[0]!.image === 'busybox:1.37', 'the edit');
    assert.notEqual(edited.pods[0]!.metadata!.uid, uid1, 'an edited file is a new pod');

    await rename(join(dir, 'web.yaml'), join(dir, 'web2.yaml'));
    const renamed = await h.until((s) => s.pods.length === 1 && s.pods[0]!.metadata!.annotations!['mini-kubelet.io/config.path'] === join(dir, 'web2.yaml'), 'the rename');
    assert.notEqual(renamed.pods[0]!.metadata!.uid, edited.pods[0]!.metadata!.uid, 'the path is part of the UID');

    // An editor's atomic save: write a dotfile, rename it over the manifest.
    await writeFile(join(dir, '.web2.yaml.tmp'), podYaml('web', 'busybox:1.38'));
    await rename(join(dir, '.web2.yaml.tmp'), join(dir, 'web2.yaml'));
    await h.until((s) => s.pods[0]?.spec!.containers[0]!.image === 'busybox:1.38', 'the atomic save');

    await rm(join(dir, 'web2.yaml'));
    await h.until((s) => s.pods.length === 0, 'web to disappear');
  } finally {
    await h.source.stop();
    await rm(dir, { recursive: true });
  }
});

test('file source: a missing directory is an empty snapshot, and is picked up once it exists', async () => {
  const parent = await tempDir();
  const dir = join(parent, 'manifests');
  const h = await harness(dir, { checkFrequencyMs: 100 });
  try {
    assert.equal(h.snapshots.length, 1);
    assert.deepEqual(h.snapshots[0], { source: 'file', pods: [], errors: [] });
    assert.deepEqual(h.logger.warnings, ['manifest path does not exist; watching for it']);
    await mkdir(dir);
    await writeFile(join(dir, 'web.yaml'), podYaml('web'));
    await h.until((s) => s.pods.length === 1, 'web after the directory appears');
    // Removed while watched, then made again: the dead watch is dropped and the new directory read.
    await rm(dir, { recursive: true });
    await h.until((s) => s.pods.length === 0, 'the directory to go away');
    await mkdir(dir);
    await writeFile(join(dir, 'again.yaml'), podYaml('again'));
    await h.until((s) => s.pods.length === 1 && s.pods[0]!.metadata!.name === 'again-node1', 'a pod in the re-made directory');
  } finally {
    await h.source.stop();
    await rm(parent, { recursive: true });
  }
});

test('file source: config.seen is the first sighting and survives re-lists; unchanged re-lists emit nothing', async () => {
  const dir = await tempDir();
  await writeFile(join(dir, 'web.yaml'), podYaml('web'));
  let now = Date.UTC(2024, 0, 1);
  const h = await harness(dir, { checkFrequencyMs: 50, now: () => now });
  try {
    const first = h.snapshots[0]!.pods[0]!;
    assert.equal(first.metadata!.annotations![CONFIG_FIRST_SEEN_ANNOTATION], '2024-01-01T00:00:00.000Z');
    now = Date.UTC(2024, 0, 2);
    await new Promise((r) => setTimeout(r, 300)); // several periodic re-lists
    assert.equal(h.snapshots.length, 1, 'an unchanged directory emits no new snapshot');
    await writeFile(join(dir, 'api.yaml'), podYaml('api'));
    const s = await h.until((x) => x.pods.length === 2, 'api to appear');
    const byName = Object.fromEntries(s.pods.map((p) => [p.metadata!.name, p.metadata!.annotations![CONFIG_FIRST_SEEN_ANNOTATION]]));
    assert.deepEqual(byName, { 'api-node1': '2024-01-02T00:00:00.000Z', 'web-node1': '2024-01-01T00:00:00.000Z' });
  } finally {
    await h.source.stop();
    await rm(dir, { recursive: true });
  }
});

test('file source: a single manifest file as the path', async () => {
  const dir = await tempDir();
  const file = join(dir, 'only.yaml');
  await writeFile(file, podYaml('only'));
  const h = await harness(file);
  try {
    assert.deepEqual(h.names(h.snapshots[0]!), ['only-node1']);
  } finally {
    await h.source.stop();
    await rm(dir, { recursive: true });
  }
});

test('file source: nothing is emitted after stop()', async () => {
  const dir = await tempDir();
  const h = await harness(dir, { checkFrequencyMs: 30 });
  await h.source.stop();
  await writeFile(join(dir, 'late.yaml'), podYaml('late'));
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(h.snapshots.length, 1);
  await rm(dir, { recursive: true });
});

test('file source: a half-written save seen through the watch keeps the last good pod; the periodic re-list drops it', async (t) => {
  // Only the periodic re-list's setInterval is faked, so the test says when a re-list happens.
  t.mock.timers.enable({ apis: ['setInterval'] });
  const dir = await tempDir();
  await writeFile(join(dir, 'web.yaml'), podYaml('web'));
  const h = await harness(dir, { checkFrequencyMs: 20_000 });
  try {
    const uid = h.snapshots[0]!.pods[0]!.metadata!.uid;
    await writeFile(join(dir, 'web.yaml'), 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: ap');
    const kept = await h.until((s) => s.errors.length === 1, 'the broken save to be reported');
    assert.deepEqual(kept.pods.map((p) => p.metadata!.uid), [uid], 'the last good version stays while only the watch has seen the file');
    assert.ok(h.logger.warnings.includes('changed manifest cannot be used; keeping its last good version until the next re-list'));

    // The save completes: the pod is the same pod again, nothing was torn down in between.
    await writeFile(join(dir, 'web.yaml'), podYaml('web'));
    const healed = await h.until((s) => s.errors.length === 0, 'the completed save');
    assert.deepEqual(healed.pods.map((p) => p.metadata!.uid), [uid]);

    // Broken for good: the next re-list takes the directory as it is, and the pod goes.
    await writeFile(join(dir, 'web.yaml'), 'kind: Pod\nmetadata: {name: [oops\n');
    await h.until((s) => s.errors.length === 1 && s.pods.length === 1, 'the second broken save');
    t.mock.timers.tick(20_000);
    const dropped = await h.until((s) => s.pods.length === 0, 'the re-list to drop the broken file');
    assert.equal(dropped.errors.length, 1);
  } finally {
    await h.source.stop();
    await rm(dir, { recursive: true });
  }
});

test('file source: a new broken file has no last good version to keep', async () => {
  const dir = await tempDir();
  const h = await harness(dir);
  try {
    await writeFile(join(dir, 'new.yaml'), 'kind: Pod\nmetadata: {name: [oops\n');
    const s = await h.until((x) => x.errors.length === 1, 'the broken file to be reported');
    assert.deepEqual(s.pods, []);
  } finally {
    await h.source.stop();
    await rm(dir, { recursive: true });
  }
});

test('file source: each snapshot holds its own copies of unchanged pods', async () => {
  const dir = await tempDir();
  await writeFile(join(dir, 'web.yaml'), podYaml('web'));
  const h = await harness(dir);
  try {
    const first = h.snapshots[0]!.pods[0]!;
    first.spec!.containers[0]!.image = 'mutated-by-a-consumer';
    await writeFile(join(dir, 'api.yaml'), podYaml('api'));
    const s = await h.until((x) => x.pods.length === 2, 'api to appear');
    const web = s.pods.find((p) => p.metadata!.name === 'web-node1')!;
    assert.notEqual(web, first);
    assert.equal(web.spec!.containers[0]!.image, 'busybox:1.36', 'the cached parse is not shared with consumers');
  } finally {
    await h.source.stop();
    await rm(dir, { recursive: true });
  }
});

test('file source: a file over the size limit is one short error, not read; the pods beside it run', async () => {
  const dir = await tempDir();
  await writeFile(join(dir, 'web.yaml'), podYaml('web'));
  // Sparse: 50 MB that cost no disk. Only its size is looked at.
  await writeFile(join(dir, 'disk.img'), '');
  await truncate(join(dir, 'disk.img'), 50 * 1024 * 1024);
  await writeFile(join(dir, 'just-over.yaml'), Buffer.alloc(MAX_MANIFEST_BYTES + 1, 'a'));
  await writeFile(join(dir, 'at-limit.yaml'), Buffer.alloc(MAX_MANIFEST_BYTES, 'a'));
  const h = await harness(dir);
  try {
    const s = h.snapshots[0]!;
    assert.deepEqual(h.names(s), ['web-node1']);
    const byFile = Object.fromEntries(s.errors.map((e) => [e.path.slice(dir.length + 1), e.message]));
    assert.deepEqual(Object.keys(byFile).sort(), ['at-limit.yaml', 'disk.img', 'just-over.yaml']);
    assert.equal(byFile['disk.img'], TOO_LARGE_MESSAGE);
    assert.equal(byFile['just-over.yaml'], TOO_LARGE_MESSAGE);
    assert.match(byFile['at-limit.yaml']!, /^expected a Pod object$/, 'a file at the limit is read and parsed');
    assert.ok(TOO_LARGE_MESSAGE.length < 120);
  } finally {
    await h.source.stop();
    await rm(dir, { recursive: true });
  }
});

test('file source: a file that keeps changing and keeps failing is read about once per check period, not on every write', async () => {
  const dir = await tempDir();
  await writeFile(join(dir, 'web.yaml'), podYaml('web'));
  const h = await harness(dir, { checkFrequencyMs: 1000 });
  const rejections = () => h.logger.warnings.filter((w) => w === 'rejected manifest').length;
  try {
    // Like a log written into the directory: every write is a different bad file (a different first error).
    const started = Date.now();
    let writes = 0;
    while (Date.now() - started < 3000) {
      await writeFile(join(dir, 'agent.log'), `{"n": ${writes}}\n{"n": ${writes + 1}}\n`);
      writes++;
      await new Promise((r) => setTimeout(r, 25));
    }
    // First read, one at-once retry, then the re-lists (3 s at 1 s) and a little slack for a loaded machine.
    assert.ok(writes > 40, `${writes} writes`);
    assert.ok(rejections() <= 7, `${rejections()} reads reported for ${writes} writes`);
    // The last write is picked up by the next re-list.
    const last = `"{\\"n\\": ${writes}}"`;
    await h.until((s) => s.errors.some((e) => e.message.endsWith(last)), 'the last write at the next re-list', 3000);
    assert.deepEqual(h.names(h.snapshots.at(-1)!), ['web-node1'], 'the good pod is untouched throughout');
  } finally {
    await h.source.stop();
    await rm(dir, { recursive: true });
  }
});

test('file source: the first fix of a failing file is read at once; a second failure waits for the re-list', async () => {
  const dir = await tempDir();
  const h = await harness(dir, { checkFrequencyMs: 2500 });
  try {
    await writeFile(join(dir, 'web.yaml'), 'kind: Pod\nmetadata: {name: [oops\n');
    await h.until((s) => s.errors.length === 1, 'the broken file to be reported');
    const t0 = Date.now();
    await writeFile(join(dir, 'web.yaml'), podYaml('web'));
    await h.until((s) => s.pods.length === 1, 'the fix', 2000);
    assert.ok(Date.now() - t0 < 2000, 'a fix after one failure is seen through the watch');

    // Broken twice in a row (a new file, so no last good version is kept): the second failure
    // was a watch retry, so the next change waits for the re-list.
    const api = join(dir, 'api.yaml');
    await writeFile(api, 'kind: Pod\nmetadata: {name: [oops\n');
    await h.until((s) => s.errors.length === 1, 'api broken');
    const before = h.snapshots.length;
    await writeFile(api, 'kind: Pod\nmetadata: {name: [still-oops\n');
    await h.until(() => h.snapshots.length > before, 'the retry (new bytes, a new snapshot)');
    const t1 = Date.now();
    await writeFile(api, podYaml('api'));
    await new Promise((r) => setTimeout(r, 400));
    assert.deepEqual(h.names(h.snapshots.at(-1)!), ['web-node1'], 'held back until the re-list');
    await h.until((s) => s.pods.length === 2, 'the fix at the re-list', 5000);
    assert.ok(Date.now() - t1 < 4000);
  } finally {
    await h.source.stop();
    await rm(dir, { recursive: true });
  }
});

test('file source: events on hidden files start no pass (kubelet: produceWatchEvent ignores them); a file renamed into place is read', async (t) => {
  const dir = await tempDir();
  t.after(() => rm(dir, { recursive: true, force: true }));
  const h = await harness(dir);
  t.after(() => h.source.stop());
  await h.until((s) => s.pods.length === 0, 'the empty start');
  const ignored = () => h.logger.debugs.filter((m) => m.includes('starts with a dot')).length;
  // A writer's temp file, then renamed into place: only the rename's event counts.
  await writeFile(join(dir, '.web.yaml.tmp'), podYaml('web'));
  await rename(join(dir, '.web.yaml.tmp'), join(dir, 'web.yaml'));
  await h.until((s) => h.names(s).includes('web-node1'), 'web, renamed into place');
  assert.ok(ignored() >= 1, 'the temp file\'s events were ignored');
  const before = h.snapshots.length;
  await writeFile(join(dir, '.web.yaml.swp'), 'an editor\'s swap file');
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(h.snapshots.length, before);
});
