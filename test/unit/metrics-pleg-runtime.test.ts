// The PLEG and runtime-operation metrics against a real gRPC fake CRI: relists move the relist histograms and the CRI call counters, failures the error counter.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { status as Status } from '@grpc/grpc-js';
import type { Registry } from 'prom-client';
import { createCriClient, type CriClient } from '../../src/cri/client.js';
import type { PodSandboxConfig } from '../../src/cri/types.js';
import { registerPlegMetrics } from '../../src/metrics/pleg.js';
import { createMetricsRegistry } from '../../src/metrics/registry.js';
import { operationType, registerRuntimeMetrics } from '../../src/metrics/runtime.js';
import { PodCache } from '../../src/pleg/cache.js';
import { GenericPLEG } from '../../src/pleg/generic.js';
import { CONTAINER_NAME_LABEL, POD_UID_LABEL, ownershipSelector } from '../../src/runtime/labels.js';
import { startFakeCriServer, type FakeCriServer } from '../support/fake-cri-server.js';
import { sampleOf } from '../support/metrics.js';

const NODE = 'node-m';
const T0 = Date.parse('2026-01-01T00:00:00Z');

describe('PLEG and runtime operation metrics', () => {
  let dir: string;
  let server: FakeCriServer;
  let cri: CriClient;
  let registry: Registry;
  let pleg: GenericPLEG;
  let cache: PodCache;
  const clock = { t: T0, now: () => clock.t };
  const errors: object[] = [];

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'metrics-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  beforeEach(async () => {
    clock.t = T0;
    errors.length = 0;
    server = await startFakeCriServer({ socketPath: join(dir, 'cri.sock') });
    server.fake.addImage('busybox:1.36');
    registry = createMetricsRegistry();
    cri = createCriClient({ runtimeEndpoint: server.endpoint, timeoutMs: 5000, observer: registerRuntimeMetrics(registry) });
    cache = new PodCache();
    const relistObserver = registerPlegMetrics(registry, { cache, lastRelistAt: () => pleg.lastRelist().at || undefined });
    const logger = { debug() {}, info() {}, error: (o: object) => void errors.push(o) };
    pleg = new GenericPLEG({ cri, nodeName: NODE, cache, clock, logger, relistObserver });
  });
  afterEach(async () => {
    cri.close();
    await server.stop();
  });

  /** A pod made straight in the fake (not through the client, so it adds no operations). */
  async function makePod(uid: string): Promise<void> {
    const sb: PodSandboxConfig = { metadata: { name: `pod-${uid}`, uid, namespace: 'default', attempt: 0 }, labels: { [POD_UID_LABEL]: uid, ...ownershipSelector(NODE) } };
    const id = await server.fake.runPodSandbox(sb);
    const c = await server.fake.createContainer(id, { metadata: { name: 'app', attempt: 0 }, image: { image: 'busybox:1.36' }, labels: { ...sb.labels, [CONTAINER_NAME_LABEL]: 'app' } }, sb);
    await server.fake.startContainer(c);
  }

  const ops = (op: string) => sampleOf(registry, 'kubelet_runtime_operations_total', { operation_type: op });
  const opErrors = (op: string) => sampleOf(registry, 'kubelet_runtime_operations_errors_total', { operation_type: op });

  it('each relist is observed: duration count, interval from the previous relist start, last seen in unix seconds', async () => {
    assert.equal(await sampleOf(registry, 'kubelet_pleg_relist_duration_seconds_count'), 0);
    await pleg.relist();
    clock.t += 1250;
    await pleg.relist();
    clock.t += 1000;
    await pleg.relist();
    assert.equal(await sampleOf(registry, 'kubelet_pleg_relist_duration_seconds_count'), 3);
    // The first relist has no previous one, so two intervals: 1.25 s and 1 s.
    assert.equal(await sampleOf(registry, 'kubelet_pleg_relist_interval_seconds_count'), 2);
    assert.equal(await sampleOf(registry, 'kubelet_pleg_relist_interval_seconds_sum'), 2.25);
    assert.equal(await sampleOf(registry, 'kubelet_pleg_relist_interval_seconds_bucket', { le: 1 }), 1);
    assert.equal(await sampleOf(registry, 'kubelet_pleg_relist_interval_seconds_bucket', { le: 1.25 }), 2);
    assert.equal(await sampleOf(registry, 'kubelet_pleg_last_seen_seconds'), Math.floor((T0 + 2250) / 1000));
  });

  it('relist CRI calls are counted by the kubelet operation_type, inspections included, with durations', async () => {
    await pleg.relist();
    assert.equal(await ops('list_podsandbox'), 1);
    assert.equal(await ops('list_containers'), 1);
    assert.equal(await ops('podsandbox_status'), undefined, 'nothing to inspect yet');

    await makePod('u1');
    clock.t += 1000;
    await pleg.relist();
    assert.equal(await ops('list_podsandbox'), 2);
    assert.equal(await ops('podsandbox_status'), 1, 'the new pod is inspected');
    assert.equal(await ops('container_status'), 1);
    assert.equal(await sampleOf(registry, 'kubelet_runtime_operations_duration_seconds_count', { operation_type: 'list_containers' }), 2);
    assert.equal(await opErrors('list_podsandbox'), undefined, 'no errors yet');
  });

  it('a failed call counts as an operation and as an error; the failed relist is not observed', async () => {
    await pleg.relist();
    server.failNext('ListPodSandbox', Status.UNAVAILABLE);
    clock.t += 1000;
    await pleg.relist();
    assert.equal(errors.length, 1, 'the PLEG logged the failed relist');
    assert.equal(await ops('list_podsandbox'), 2);
    assert.equal(await opErrors('list_podsandbox'), 1);
    assert.equal(await opErrors('list_containers'), undefined);
    assert.equal(await sampleOf(registry, 'kubelet_pleg_relist_duration_seconds_count'), 1);
  });

  it('calls outside the PLEG count too: run_podsandbox, image_status, version', async () => {
    await cri.version();
    await cri.imageStatus({ image: 'busybox:1.36' });
    await cri.runPodSandbox({ metadata: { name: 'web', uid: 'u9', namespace: 'default', attempt: 0 } });
    assert.equal(await ops('version'), 1);
    assert.equal(await ops('image_status'), 1);
    assert.equal(await ops('run_podsandbox'), 1);
  });
});

describe('operationType', () => {
  const cases: [name: string, method: string, want: string][] = [
    ['sandbox runs as run_podsandbox (no underscore in podsandbox)', 'RunPodSandbox', 'run_podsandbox'],
    ['sandbox status', 'PodSandboxStatus', 'podsandbox_status'],
    ['UpdateContainerResources is update_container', 'UpdateContainerResources', 'update_container'],
    ['an image RPC', 'ImageFsInfo', 'image_fs_info'],
    ['an RPC the kubelet does not instrument falls back to snake case', 'CheckpointContainer', 'checkpoint_container'],
  ];
  for (const [name, method, want] of cases) it(name, () => assert.equal(operationType(method), want));
});
