// /metrics/probes: prober_probe_total and prober_probe_duration_seconds as a prober worker feeds them (kubelet prober/worker.go).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Container, V1Pod, V1PodStatus } from '@kubernetes/client-node';
import { createProbeMetrics, type ProbeTarget } from '../../src/metrics/probes.js';
import type { Prober, ProbeRun } from '../../src/prober/prober.js';
import { ProbeResults } from '../../src/prober/results.js';
import { ProbeWorker } from '../../src/prober/worker.js';
import { FakeClock } from '../support/fake-prober-clock.js';

const TARGET: ProbeTarget = { probeType: 'Readiness', container: 'app', pod: 'web-node1', namespace: 'default', podUID: 'u1' };

/** The value of one sample line, found by its full name and label text; undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const labels = (result: string, t = TARGET) =>
  `prober_probe_total{probe_type="${t.probeType}",result="${result}",container="${t.container}",pod="${t.pod}",namespace="${t.namespace}",pod_uid="${t.podUID}"}`;
const countOf = (t = TARGET) => `prober_probe_duration_seconds_count{probe_type="${t.probeType}",container="${t.container}",pod="${t.pod}",namespace="${t.namespace}"}`;

describe('probe metrics', () => {
  it('count each result under the kubelet\'s label values and time every probe', async () => {
    const m = createProbeMetrics();
    m.observer.observe(TARGET, 'Success', 0.002);
    m.observer.observe(TARGET, 'Success', 0.004);
    m.observer.observe(TARGET, 'Failure', 1.5);
    m.observer.observe(TARGET, 'Unknown', 0.1);
    const text = await m.registry.metrics();
    assert.equal(sample(text, labels('successful')), 2);
    assert.equal(sample(text, labels('failed')), 1);
    assert.equal(sample(text, labels('unknown')), 1);
    assert.equal(sample(text, countOf()), 4);
    assert.match(text, /# TYPE prober_probe_total counter/);
    assert.match(text, /# TYPE prober_probe_duration_seconds histogram/);
  });

  it('forget drops one worker\'s series and leaves the others', async () => {
    const m = createProbeMetrics();
    const liveness: ProbeTarget = { ...TARGET, probeType: 'Liveness' };
    m.observer.observe(TARGET, 'Success', 0.001);
    m.observer.observe(liveness, 'Failure', 0.001);
    m.observer.forget(TARGET);
    const text = await m.registry.metrics();
    assert.equal(sample(text, labels('successful')), undefined);
    assert.equal(sample(text, countOf()), undefined);
    assert.equal(sample(text, labels('failed', liveness)), 1);
  });

  it('a worker counts every probe that ran, below the threshold too, but not one that could not run; its series go when it stops', async () => {
    const clock = new FakeClock(1_000_000);
    const answers: ProbeRun[] = [{ result: 'Failure' }, { result: 'Failure', error: new Error('exec failed') }, { result: 'Failure' }];
    const prober: Prober = {
      probe: async () => {
        clock.t += 30; // the probe takes 30 ms of the fake clock
        return answers.shift() ?? { result: 'Success' };
      },
    };
    const container: V1Container = { name: 'app', readinessProbe: { exec: { command: ['true'] }, periodSeconds: 1, failureThreshold: 5 } };
    const pod: V1Pod = { metadata: { name: 'web-node1', namespace: 'default', uid: 'u1' }, spec: { containers: [container] } };
    const status: V1PodStatus = {
      phase: 'Running',
      containerStatuses: [{ name: 'app', containerID: 'containerd://c1', image: 'b', imageID: '', ready: false, restartCount: 0, started: true, state: { running: { startedAt: new Date(clock.t) } } }],
    };
    const m = createProbeMetrics();
    const worker = new ProbeWorker(
      {
        clock,
        random: () => 0,
        prober,
        results: new ProbeResults(),
        statusOf: () => status,
        onResult: () => undefined,
        onExit: () => undefined,
        startedAt: clock.t - 3_600_000,
        logger: { debug: () => undefined },
        metrics: m.observer,
      },
      'Readiness',
      pod,
      container,
    );
    const done = worker.run();
    await clock.advance(2500);
    let text = await m.registry.metrics();
    assert.equal(sample(text, labels('failed')), 2, 'three probes, one of which could not run');
    assert.equal(sample(text, countOf()), 2);
    const sum = sample(text, countOf().replace('_count', '_sum'));
    assert.ok(sum !== undefined && Math.abs(sum - 0.06) < 1e-9, `two probes of 30 ms: ${sum}`);
    worker.stop();
    await done;
    text = await m.registry.metrics();
    assert.equal(sample(text, labels('failed')), undefined, 'a stopped worker leaves no series');
  });
});
