// Table cases for the GC's pure rules: which dead containers, dead sandboxes and pod log directories go.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Container, ContainerState, PodSandbox } from '../../src/cri/types.js';
import { containersToEvict, logDirectoriesToEvict, podUidFromLogsDirectory, sandboxesToEvict, type GCPolicy } from '../../src/gc/evict.js';
import { CONTAINER_NAME_LABEL, POD_UID_LABEL } from '../../src/runtime/labels.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const S = 1000;
const STATE = { running: 'CONTAINER_RUNNING', exited: 'CONTAINER_EXITED', created: 'CONTAINER_CREATED', unknown: 'CONTAINER_UNKNOWN' } as const;

/** A container list entry: `<name>-<attempt>` of pod `uid`, created `at` seconds after T0. */
function ctr(name: string, attempt: number, state: keyof typeof STATE, at: number, over: { uid?: string; sandbox?: string; id?: string } = {}): Container {
  return {
    id: over.id ?? `${over.uid ?? 'live'}/${name}-${attempt}`,
    podSandboxId: over.sandbox ?? 'sb0',
    metadata: { name, attempt },
    image: { image: 'busybox:1.36' },
    imageRef: 'sha256:abc',
    state: STATE[state] as ContainerState,
    createdAt: (T0 + at * S) * 1e6,
    labels: { [POD_UID_LABEL]: over.uid ?? 'live', [CONTAINER_NAME_LABEL]: name },
    annotations: {},
  };
}

function sb(id: string, attempt: number, ready: boolean, at: number, uid = 'live'): PodSandbox {
  return {
    id,
    metadata: { name: 'p', namespace: 'default', uid, attempt },
    state: ready ? 'SANDBOX_READY' : 'SANDBOX_NOTREADY',
    createdAt: (T0 + at * S) * 1e6,
    labels: { [POD_UID_LABEL]: uid },
    annotations: {},
    runtimeHandler: '',
  };
}

const isLive = (uid: string) => uid.startsWith('live');
const NOW = T0 + 1000 * S;
const policy = (maxPerPodContainer = 1, minAgeMs = 0, maxContainers = -1): GCPolicy => ({ maxPerPodContainer, minAgeMs, maxContainers });
const ids = (xs: { id: string }[]) => xs.map((x) => x.id).sort();

describe('containersToEvict', () => {
  const cases: { name: string; containers: Container[]; policy: GCPolicy; now?: number; evicted: string[] }[] = [
    {
      name: 'crash loop, newest running: keeps it and the newest exited one',
      containers: [ctr('app', 0, 'exited', 1), ctr('app', 1, 'exited', 2), ctr('app', 2, 'exited', 3), ctr('app', 3, 'running', 4)],
      policy: policy(),
      evicted: ['live/app-0', 'live/app-1'],
    },
    {
      name: 'crash loop in back-off, newest exited: keeps only the newest',
      containers: [ctr('app', 0, 'exited', 1), ctr('app', 1, 'exited', 2), ctr('app', 2, 'exited', 3)],
      policy: policy(),
      evicted: ['live/app-0', 'live/app-1'],
    },
    {
      name: 'the list order does not matter: the oldest go',
      containers: [ctr('app', 2, 'exited', 3), ctr('app', 0, 'exited', 1), ctr('app', 1, 'exited', 2)],
      policy: policy(),
      evicted: ['live/app-0', 'live/app-1'],
    },
    {
      name: 'max 2 keeps the two newest dead',
      containers: [ctr('app', 0, 'exited', 1), ctr('app', 1, 'exited', 2), ctr('app', 2, 'exited', 3), ctr('app', 3, 'running', 4)],
      policy: policy(2),
      evicted: ['live/app-0'],
    },
    {
      name: 'max 0 with a running newest: every dead one goes',
      containers: [ctr('app', 0, 'exited', 1), ctr('app', 1, 'exited', 2), ctr('app', 2, 'running', 3)],
      policy: policy(0),
      evicted: ['live/app-0', 'live/app-1'],
    },
    {
      name: 'max 0 still never removes the newest instance of a live pod',
      containers: [ctr('app', 0, 'exited', 1), ctr('app', 1, 'exited', 2)],
      policy: policy(0),
      evicted: ['live/app-0'],
    },
    {
      name: 'a negative limit disables it for live pods',
      containers: [ctr('app', 0, 'exited', 1), ctr('app', 1, 'exited', 2), ctr('app', 2, 'running', 3)],
      policy: policy(-1),
      evicted: [],
    },
    {
      name: 'a negative limit still lets a removed pod\'s dead containers go',
      containers: [ctr('app', 0, 'exited', 1, { uid: 'gone' }), ctr('app', 1, 'exited', 2, { uid: 'gone' })],
      policy: policy(-1),
      evicted: ['gone/app-0', 'gone/app-1'],
    },
    {
      name: 'a completed container of a live pod (restartPolicy Never) stays',
      containers: [ctr('job', 0, 'exited', 1)],
      policy: policy(0),
      evicted: [],
    },
    {
      name: 'a created, not yet started newest container is not taken from under its worker',
      containers: [ctr('app', 0, 'exited', 1), ctr('app', 1, 'created', 2)],
      policy: policy(0),
      evicted: ['live/app-0'],
    },
    {
      name: 'an old created container counts as dead',
      containers: [ctr('app', 0, 'created', 1), ctr('app', 1, 'exited', 2), ctr('app', 2, 'running', 3)],
      policy: policy(),
      evicted: ['live/app-0'],
    },
    {
      name: 'unknown state counts as dead',
      containers: [ctr('app', 0, 'unknown', 1), ctr('app', 1, 'exited', 2), ctr('app', 2, 'running', 3)],
      policy: policy(),
      evicted: ['live/app-0'],
    },
    {
      name: 'each container name is its own unit',
      containers: [ctr('a', 0, 'exited', 1), ctr('a', 1, 'running', 2), ctr('b', 0, 'exited', 1), ctr('b', 1, 'exited', 2), ctr('b', 2, 'running', 3)],
      policy: policy(),
      evicted: ['live/b-0'],
    },
    {
      name: 'a new sandbox: the succeeded init container in it stays (or it would run again), the old sandbox\'s go',
      containers: [
        ctr('init', 0, 'exited', 1, { sandbox: 'sb0', id: 'init-old' }),
        ctr('init', 0, 'exited', 10, { sandbox: 'sb1', id: 'init-new' }),
        ctr('app', 0, 'exited', 2, { sandbox: 'sb0', id: 'app-old' }),
        ctr('app', 0, 'running', 11, { sandbox: 'sb1', id: 'app-new' }),
      ],
      policy: policy(0),
      evicted: ['app-old', 'init-old'],
    },
    {
      name: 'a removed pod loses every dead container, the newest too, but not a running one',
      containers: [ctr('app', 0, 'exited', 1, { uid: 'gone' }), ctr('app', 1, 'exited', 2, { uid: 'gone' }), ctr('side', 0, 'running', 1, { uid: 'gone' })],
      policy: policy(),
      evicted: ['gone/app-0', 'gone/app-1'],
    },
    {
      name: 'minimum age: a dead container younger than the TTL is neither removed nor counted',
      containers: [ctr('app', 0, 'exited', 1), ctr('app', 1, 'exited', 995), ctr('app', 2, 'running', 996)],
      policy: policy(1, 60 * S),
      evicted: [],
    },
    {
      name: 'minimum age: old enough ones beyond the limit go',
      containers: [ctr('app', 0, 'exited', 1), ctr('app', 1, 'exited', 2), ctr('app', 2, 'exited', 995), ctr('app', 3, 'running', 996)],
      policy: policy(1, 60 * S),
      evicted: ['live/app-0'],
    },
    {
      name: 'minimum age applies to removed pods too',
      containers: [ctr('app', 0, 'exited', 1, { uid: 'gone' }), ctr('app', 1, 'exited', 995, { uid: 'gone' })],
      policy: policy(1, 60 * S),
      evicted: ['gone/app-0'],
    },
    {
      name: 'node-wide limit: every evict unit is first cut to an equal share',
      containers: [
        ctr('a', 0, 'exited', 1), ctr('a', 1, 'exited', 2), ctr('a', 2, 'exited', 3), ctr('a', 3, 'running', 4),
        ctr('b', 0, 'exited', 1), ctr('b', 1, 'exited', 2), ctr('b', 2, 'exited', 3), ctr('b', 3, 'running', 4),
      ],
      policy: policy(-1, 0, 2),
      evicted: ['live/a-0', 'live/a-1', 'live/b-0', 'live/b-1'],
    },
    {
      name: 'node-wide limit: a share is at least 1, then the oldest go whichever pod they are in',
      containers: [
        ctr('a', 0, 'exited', 1), ctr('a', 1, 'exited', 2), ctr('a', 2, 'running', 3),
        ctr('b', 0, 'exited', 5, { uid: 'live2' }), ctr('b', 1, 'exited', 6, { uid: 'live2' }), ctr('b', 2, 'running', 7, { uid: 'live2' }),
      ],
      policy: policy(-1, 0, 1),
      evicted: ['live/a-0', 'live/a-1', 'live2/b-0'],
    },
    {
      name: 'node-wide limit 0 still leaves the newest instance of a live pod\'s name',
      containers: [ctr('app', 0, 'exited', 1), ctr('app', 1, 'exited', 2)],
      policy: policy(-1, 0, 0),
      evicted: ['live/app-0'],
    },
    {
      name: 'node-wide limit: a removed pod\'s containers go anyway and do not count against it',
      containers: [ctr('app', 0, 'exited', 1, { uid: 'gone' }), ctr('app', 1, 'exited', 2, { uid: 'gone' }), ctr('app', 0, 'exited', 3), ctr('app', 1, 'running', 4)],
      policy: policy(1, 0, 1),
      evicted: ['gone/app-0', 'gone/app-1'],
    },
    {
      name: 'node-wide limit under the count: the per-container limit alone decides',
      containers: [ctr('app', 0, 'exited', 1), ctr('app', 1, 'exited', 2), ctr('app', 2, 'exited', 3), ctr('app', 3, 'running', 4)],
      policy: policy(2, 0, 5),
      evicted: ['live/app-0'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(ids(containersToEvict(c.containers, isLive, c.policy, c.now ?? NOW)), [...c.evicted].sort());
    });
  }

  it('a container without a pod UID label is never evicted', () => {
    const stray = ctr('app', 0, 'exited', 1, { uid: 'gone' });
    stray.labels = {};
    assert.deepEqual(containersToEvict([stray], isLive, policy(0), NOW), []);
  });
});

describe('sandboxesToEvict', () => {
  const cases: { name: string; sandboxes: PodSandbox[]; containers: Container[]; evicted: string[] }[] = [
    {
      name: 'a live pod keeps its ready newest sandbox and loses older empty dead ones',
      sandboxes: [sb('sb0', 0, false, 1), sb('sb1', 1, false, 2), sb('sb2', 2, true, 3)],
      containers: [],
      evicted: ['sb0', 'sb1'],
    },
    {
      name: 'a live pod keeps its newest sandbox even when it is dead (a finished pod)',
      sandboxes: [sb('sb0', 0, false, 1), sb('sb1', 1, false, 2)],
      containers: [],
      evicted: ['sb0'],
    },
    {
      name: 'an old dead sandbox that still holds a container stays',
      sandboxes: [sb('sb0', 0, false, 1), sb('sb1', 1, true, 2)],
      containers: [ctr('init', 0, 'exited', 1, { sandbox: 'sb0' })],
      evicted: [],
    },
    {
      name: 'a removed pod loses every dead empty sandbox, the newest too',
      sandboxes: [sb('g0', 0, false, 1, 'gone'), sb('g1', 1, false, 2, 'gone')],
      containers: [],
      evicted: ['g0', 'g1'],
    },
    {
      name: 'a removed pod keeps a ready sandbox (the orphan killer stops it first) and one with containers',
      sandboxes: [sb('g0', 0, false, 1, 'gone'), sb('g1', 1, true, 2, 'gone')],
      containers: [ctr('app', 0, 'exited', 1, { uid: 'gone', sandbox: 'g0' })],
      evicted: [],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(ids(sandboxesToEvict(c.sandboxes, c.containers, isLive)), [...c.evicted].sort());
    });
  }
});

describe('pod log directories', () => {
  const cases: { name: string; dir: string; inRuntime?: string[]; evicted: boolean }[] = [
    { name: 'a removed pod with no sandbox left: removed', dir: 'default_web-n1_gone', evicted: true },
    { name: 'a live pod: kept', dir: 'default_web-n1_live', evicted: false },
    { name: 'a removed pod whose sandbox is still in the runtime: kept', dir: 'default_web-n1_gone', inRuntime: ['gone'], evicted: false },
    { name: 'not a pod log directory (two parts): kept', dir: 'web_gone', evicted: false },
    { name: 'not a pod log directory (four parts): kept', dir: 'a_b_c_gone', evicted: false },
    { name: 'not a pod log directory (empty uid): kept', dir: 'default_web_', evicted: false },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const out = logDirectoriesToEvict([c.dir], isLive, new Set(c.inRuntime ?? []));
      assert.deepEqual(out, c.evicted ? [c.dir] : []);
    });
  }

  it('the UID is the last part of <namespace>_<name>_<uid>', () => {
    assert.equal(podUidFromLogsDirectory('kube-system_etcd-node1_6f1c2a4e-0b1d-4c55-9d0e-1f2a3b4c5d6e'), '6f1c2a4e-0b1d-4c55-9d0e-1f2a3b4c5d6e');
    assert.equal(podUidFromLogsDirectory('lost+found'), undefined);
  });
});
