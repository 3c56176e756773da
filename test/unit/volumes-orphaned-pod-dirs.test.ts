// Tests for the orphaned pod directory sweep: only unknown UIDs go, a failing teardown is retried and logged once.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { HostVolumeManager } from '../../src/volumes/manager.js';
import { OrphanedPodDirs } from '../../src/volumes/orphaned-pod-dirs.js';

function recordingLogger() {
  const lines: string[] = [];
  return { lines, info: (_o: unknown, m?: string) => void lines.push(`info ${m}`), warn: (_o: unknown, m?: string) => void lines.push(`warn ${m}`) };
}

test('orphaned pod dirs: unknown UIDs are torn down, known ones stay, a second pass finds nothing', async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'mk-orphans-'));
  try {
    for (const uid of ['live', 'gone-1', 'gone-2']) mkdirSync(path.join(root, 'pods', uid, 'volumes', 'kubernetes.io~empty-dir', 'v'), { recursive: true });
    const volumes = new HostVolumeManager(root);
    const logger = recordingLogger();
    const dirs = new OrphanedPodDirs({ rootDir: root, tearDownPod: (uid) => volumes.tearDownPod(uid), logger });
    const removed = await dirs.cleanup((uid) => uid === 'live');
    assert.deepEqual(removed.sort(), ['gone-1', 'gone-2']);
    assert.ok(existsSync(path.join(root, 'pods', 'live')));
    assert.ok(!existsSync(path.join(root, 'pods', 'gone-1')));
    assert.deepEqual(await dirs.cleanup((uid) => uid === 'live'), []);
    assert.equal(logger.lines.filter((l) => l === 'info removed orphaned pod directory').length, 2);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('orphaned pod dirs: no pods directory yet is nothing to do', async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'mk-orphans-'));
  try {
    const dirs = new OrphanedPodDirs({ rootDir: root, tearDownPod: async () => assert.fail('nothing to tear down'), logger: recordingLogger() });
    assert.deepEqual(await dirs.cleanup(() => false), []);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('orphaned pod dirs: a teardown that fails is warned about once and tried again each pass', async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'mk-orphans-'));
  try {
    mkdirSync(path.join(root, 'pods', 'stuck'), { recursive: true });
    let attempts = 0;
    const logger = recordingLogger();
    const dirs = new OrphanedPodDirs({
      rootDir: root,
      tearDownPod: async () => {
        attempts++;
        if (attempts < 3) throw new Error('still mounted');
        rmSync(path.join(root, 'pods', 'stuck'), { recursive: true });
      },
      logger,
    });
    assert.deepEqual(await dirs.cleanup(() => false), []);
    assert.deepEqual(await dirs.cleanup(() => false), []);
    assert.deepEqual(await dirs.cleanup(() => false), ['stuck']);
    assert.equal(attempts, 3);
    assert.deepEqual(logger.lines, ['warn orphaned pod directory cannot be removed yet', 'info removed orphaned pod directory']);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
