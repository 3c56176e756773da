// GET /metrics on the read-only port: the registry's text with prom-client's content type, process metrics read at scrape time, 404 when not wired.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { createMetricsRegistry } from '../../src/metrics/registry.js';
import { registerRuntimeMetrics } from '../../src/metrics/runtime.js';
import { startReadOnlyServer, type ReadOnlyServer } from '../../src/server/read-only-server.js';
import { FakePodView } from '../support/fake-pod-view.js';

const logger = pino({ level: 'silent' });

/** The value of an unlabelled sample in a Prometheus text. */
function sample(text: string, name: string): number {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  assert.ok(m, `${name} in /metrics`);
  return Number(m[1]);
}

describe('/metrics', () => {
  const registry = createMetricsRegistry();
  const observe = registerRuntimeMetrics(registry);
  let server: ReadOnlyServer;
  let bare: ReadOnlyServer;
  before(async () => {
    server = await startReadOnlyServer({ port: 0, anyPort: true, source: new FakePodView(), logger, metrics: registry });
    bare = await startReadOnlyServer({ port: 0, anyPort: true, source: new FakePodView(), logger });
  });
  after(async () => {
    await server.close();
    await bare.close();
  });

  it('answers in the Prometheus text format, with prom-client content type', async () => {
    observe('RunPodSandbox', 250, false);
    const res = await fetch(`http://127.0.0.1:${server.port}/metrics`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    const text = await res.text();
    assert.match(text, /^# TYPE kubelet_runtime_operations_total counter$/m);
    assert.match(text, /^kubelet_runtime_operations_total\{operation_type="run_podsandbox"\} 1$/m);
    assert.match(text, /^kubelet_runtime_operations_duration_seconds_bucket\{le="0\.078125",operation_type="run_podsandbox"\} 0$/m);
    assert.match(text, /^kubelet_runtime_operations_duration_seconds_bucket\{le="0\.48828125",operation_type="run_podsandbox"\} 1$/m);
  });

  it('the process metrics are read when scraped: CPU seconds grow, RSS is this process, start time is when it started', async () => {
    const first = await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();
    // Burn 60 ms of this process's own CPU between two scrapes (not 60 ms of wall time: on a
    // loaded machine that may hold much less CPU).
    const cpuAt = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
    const spinUntil = cpuAt() + 60;
    while (cpuAt() < spinUntil);
    const second = await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();
    const cpu = [sample(first, 'process_cpu_seconds_total'), sample(second, 'process_cpu_seconds_total')];
    assert.ok(cpu[1]! >= cpu[0]! + 0.03, `CPU seconds went ${cpu[0]} → ${cpu[1]}`);
    const rss = sample(second, 'process_resident_memory_bytes');
    assert.ok(Math.abs(rss - process.memoryUsage.rss()) < 64 * 1024 * 1024, `RSS ${rss} is this process's`);
    const started = Date.now() / 1000 - process.uptime();
    assert.ok(Math.abs(sample(second, 'process_start_time_seconds') - started) <= 1);
    // No prom-client default metrics (event loop lag, GC, heap spaces): they cost CPU between scrapes.
    assert.doesNotMatch(second, /nodejs_|process_heap|eventloop/);
  });

  it('HEAD answers the headers only', async () => {
    const res = await fetch(`http://127.0.0.1:${server.port}/metrics`, { method: 'HEAD' });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    assert.equal(await res.text(), '');
  });

  it('is 404 when the server has no registry', async () => {
    const res = await fetch(`http://127.0.0.1:${bare.port}/metrics`);
    assert.equal(res.status, 404);
    assert.equal((await res.json()).reason, 'NotFound');
  });
});
