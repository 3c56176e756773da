// The /pods watch stream: initial ADDED events, a bookmark, then MODIFIED/ADDED/DELETED as the view changes.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { once } from 'node:events';
import pino from 'pino';
import { startReadOnlyServer, type ReadOnlyServer } from '../../src/server/read-only-server.js';
import { PodWatchDiffer, INITIAL_EVENTS_END_ANNOTATION, type WatchEvent } from '../../src/server/pod-watch.js';
import { FakePodView, runningPod } from '../support/fake-pod-view.js';

const logger = pino({ level: 'silent' });

/** Opens a watch and hands out its events one at a time. */
async function openWatch(port: number, path: string) {
  const req = http.get({ host: '127.0.0.1', port, path, agent: false });
  const [res] = (await once(req, 'response')) as [http.IncomingMessage];
  const queue: WatchEvent[] = [];
  const waiters: ((e: WatchEvent) => void)[] = [];
  let buffered = '';
  let ended = false;
  res.setEncoding('utf8');
  res.on('data', (chunk: string) => {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const e = JSON.parse(buffered.slice(0, nl)) as WatchEvent;
      buffered = buffered.slice(nl + 1);
      const w = waiters.shift();
      if (w) w(e);
      else queue.push(e);
    }
  });
  // A destroyed response rejects with "aborted": that is an end too.
  const endedP = once(res, 'end').then(() => (ended = true), () => false);
  return {
    res,
    next: (): Promise<WatchEvent> => {
      const e = queue.shift();
      return e ? Promise.resolve(e) : new Promise((resolve) => waiters.push(resolve));
    },
    pending: () => queue.length,
    ended: () => endedP.then(() => ended),
    close: () => req.destroy(),
  };
}

async function waitFor(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond(), 'condition not reached within 1s');
}

function withPhase(name: string, phase: string) {
  const pod = runningPod(name);
  pod.status!.phase = phase;
  return pod;
}

describe('pod watch over HTTP', () => {
  let view: FakePodView;
  let server: ReadOnlyServer;
  before(async () => {
    view = new FakePodView([runningPod('b'), runningPod('a')]);
    server = await startReadOnlyServer({ port: 0, anyPort: true, source: view, logger });
  });
  after(() => server.close());

  test('initial ADDED events in order, the bookmark, then a MODIFIED once subscribe fires', async () => {
    const w = await openWatch(server.port, '/pods?watch=true&allowWatchBookmarks=true');
    try {
      const first = await w.next();
      assert.equal(first.type, 'ADDED');
      assert.equal((first.object.metadata as any).name, 'a');
      assert.equal(((await w.next()).object.metadata as any).name, 'b');
      const bookmark = await w.next();
      assert.equal(bookmark.type, 'BOOKMARK');
      assert.equal((bookmark.object.metadata as any).annotations[INITIAL_EVENTS_END_ANNOTATION], 'true');

      view.set([runningPod('a'), withPhase('b', 'Succeeded')]);
      const modified = await w.next();
      assert.equal(modified.type, 'MODIFIED');
      assert.equal((modified.object.metadata as any).name, 'b');
      assert.equal((modified.object.status as any).phase, 'Succeeded');
      assert.equal(modified.object.kind, 'Pod');
      assert.equal(w.pending(), 0, 'the unchanged pod a produced no event');
    } finally {
      w.close();
    }
  });

  test('/pods/watch is the same stream; no bookmark unless asked', async () => {
    view.set([runningPod('a')]);
    const w = await openWatch(server.port, '/pods/watch');
    try {
      assert.equal((await w.next()).type, 'ADDED');
      view.set([runningPod('a'), runningPod('c')]);
      const added = await w.next();
      assert.equal(added.type, 'ADDED', 'no BOOKMARK came before the change');
      assert.equal((added.object.metadata as any).name, 'c');
      view.set([runningPod('c')]);
      const deleted = await w.next();
      assert.equal(deleted.type, 'DELETED');
      assert.equal((deleted.object.metadata as any).name, 'a');
    } finally {
      w.close();
    }
  });

  test('a client that goes away unsubscribes', async () => {
    await waitFor(() => view.subscriberCount === 0); // the earlier tests' watches are gone
    const w = await openWatch(server.port, '/pods?watch=1');
    await w.next();
    assert.equal(view.subscriberCount, 1);
    w.close();
    await waitFor(() => view.subscriberCount === 0);
  });
});

test('close() ends open watch streams instead of waiting on them', async () => {
  const view = new FakePodView([runningPod('a')]);
  const server = await startReadOnlyServer({ port: 0, anyPort: true, source: view, logger });
  const w = await openWatch(server.port, '/pods?watch=true');
  await w.next();
  await server.close();
  assert.equal(await w.ended(), true);
  assert.equal(view.subscriberCount, 0);
});

describe('PodWatchDiffer', () => {
  test('a pod recreated under the same name (new UID) is DELETED then ADDED', () => {
    const d = new PodWatchDiffer();
    d.next([runningPod('web', { uid: 'one' })]);
    const events = d.next([runningPod('web', { uid: 'two' })]);
    assert.deepEqual(
      events.map((e) => `${e.type} ${(e.object.metadata as any).uid}`),
      ['ADDED two', 'DELETED one'],
    );
  });

  test('nothing changed, no events', () => {
    const d = new PodWatchDiffer();
    d.next([runningPod('web')]);
    assert.deepEqual(d.next([runningPod('web')]), []);
  });
});
