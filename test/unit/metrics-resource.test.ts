// /metrics/resource: the kubelet's resource metrics from the Summary (names, labels, units, timestamps), a failed Summary, and the read-only route.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { resourceFamilies, resourceMetrics } from '../../src/metrics/resource.js';
import { startReadOnlyServer, type ReadOnlyServer } from '../../src/server/read-only-server.js';
import type { SummaryOptions } from '../../src/stats/provider.js';
import type { Summary } from '../../src/stats/types.js';
import { FakePodView } from '../support/fake-pod-view.js';

const T = '2024-01-01T00:10:00Z';
const T_MS = Date.parse(T);

const SUMMARY: Summary = {
  node: {
    nodeName: 'n1',
    startTime: '2024-01-01T00:00:00Z',
    cpu: { time: T, usageCoreNanoSeconds: 1_500_000_000_000, usageNanoCores: 1e9 },
    memory: { time: '2024-01-01T00:10:01Z', workingSetBytes: 2_000_000_000, usageBytes: 3_000_000_000 },
  },
  pods: [
    {
      podRef: { name: 'web', namespace: 'default', uid: 'u1' },
      startTime: '2024-01-01T00:01:00Z',
      containers: [
        { name: 'nginx', startTime: '2024-01-01T00:01:05Z', cpu: { time: T, usageCoreNanoSeconds: 250_000_000 }, memory: { time: T, workingSetBytes: 20971520 } },
        // Measured before its first CPU sample: no cpu, a memory figure without a working set.
        { name: 'sidecar', startTime: '2024-01-01T00:01:06Z', memory: { time: T, usageBytes: 4096 } },
      ],
      cpu: { time: T, usageCoreNanoSeconds: 300_000_000 },
      memory: { time: T, workingSetBytes: 25165824 },
    },
    {
      podRef: { name: 'dns', namespace: 'kube-system', uid: 'u2' },
      startTime: '2024-01-01T00:02:00Z',
      // An unset start time (the epoch) gives no container_start_time_seconds.
      containers: [{ name: 'coredns', startTime: '1970-01-01T00:00:00Z', cpu: { time: T, usageCoreNanoSeconds: 0 } }],
    },
  ],
};

type Row = { labels?: Record<string, string>; value: number; timestampMs?: number };
const family = (name: string): { type: string; samples: Row[] } | undefined => resourceFamilies(SUMMARY).find((f) => f.name === name);

describe('resourceFamilies', () => {
  const web = { pod: 'web', namespace: 'default' };
  const cases: { name: string; metric: string; type?: string; samples: Row[] }[] = [
    { name: 'node cpu in core-seconds, stamped with its time', metric: 'node_cpu_usage_seconds_total', type: 'counter', samples: [{ labels: undefined, value: 1500, timestampMs: T_MS }] },
    { name: 'node working set, stamped with the memory time', metric: 'node_memory_working_set_bytes', type: 'gauge', samples: [{ labels: undefined, value: 2e9, timestampMs: T_MS + 1000 }] },
    {
      name: 'container cpu for each container that has a cumulative figure (0 included)',
      metric: 'container_cpu_usage_seconds_total',
      type: 'counter',
      samples: [
        { labels: { container: 'nginx', ...web }, value: 0.25, timestampMs: T_MS },
        { labels: { container: 'coredns', pod: 'dns', namespace: 'kube-system' }, value: 0, timestampMs: T_MS },
      ],
    },
    { name: 'container working set only where measured', metric: 'container_memory_working_set_bytes', type: 'gauge', samples: [{ labels: { container: 'nginx', ...web }, value: 20971520, timestampMs: T_MS }] },
    {
      name: 'container start time in seconds, no timestamp, none for an unset time',
      metric: 'container_start_time_seconds',
      type: 'gauge',
      samples: [
        { labels: { container: 'nginx', ...web }, value: Date.parse('2024-01-01T00:01:05Z') / 1000 },
        { labels: { container: 'sidecar', ...web }, value: Date.parse('2024-01-01T00:01:06Z') / 1000 },
      ],
    },
    { name: 'pod cpu with pod and namespace labels', metric: 'pod_cpu_usage_seconds_total', type: 'counter', samples: [{ labels: web, value: 0.3, timestampMs: T_MS }] },
    { name: 'pod working set', metric: 'pod_memory_working_set_bytes', type: 'gauge', samples: [{ labels: web, value: 25165824, timestampMs: T_MS }] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const f = family(c.metric);
      assert.ok(f, `${c.metric} present`);
      assert.equal(f.type, c.type);
      assert.deepEqual(f.samples, c.samples);
    });
  }

  it('a Summary with nothing measured has no families (no zeros invented)', () => {
    assert.deepEqual(resourceFamilies({ node: { nodeName: 'n', startTime: T }, pods: [] }), []);
  });
});

describe('resourceMetrics', () => {
  const logger = pino({ level: 'silent' });

  it('asks for CPU and memory only, and ends with both scrape-error gauges at 0', async () => {
    const asked: SummaryOptions[] = [];
    const text = await resourceMetrics(async (o) => (asked.push(o), SUMMARY), logger).metrics();
    assert.deepEqual(asked, [{ onlyCpuAndMemory: true }]);
    assert.match(text, /^# HELP container_cpu_usage_seconds_total \[STABLE\] Cumulative cpu time consumed by the container in core-seconds\n# TYPE container_cpu_usage_seconds_total counter\n/);
    assert.match(text, /\ncontainer_cpu_usage_seconds_total\{container="nginx",namespace="default",pod="web"\} 0\.25 1704067800000\n/);
    assert.match(text, /\nnode_cpu_usage_seconds_total 1500 1704067800000\n/);
    assert.match(text, /\nresource_scrape_error 0\n/);
    assert.match(text, /\nscrape_error 0\n$/);
    // Every line is a comment or `name{labels} value [timestamp]`.
    for (const line of text.trimEnd().split('\n')) {
      assert.match(line, /^(# (HELP|TYPE) [a-z_]+ .+|[a-z_]+(\{[^}]*\})? [-+0-9.e]+( \d+)?)$/, line);
    }
  });

  it('a failed Summary: the scrape-error gauges at 1 and no other sample', async () => {
    const errors: unknown[] = [];
    const text = await resourceMetrics(async () => { throw new Error('runtime down'); }, { error: (o) => errors.push(o) }).metrics();
    assert.equal(text, [
      '# HELP resource_scrape_error [STABLE] 1 if there was an error while getting container metrics, 0 otherwise',
      '# TYPE resource_scrape_error gauge',
      'resource_scrape_error 1',
      '# HELP scrape_error [ALPHA] (Deprecated since 1.29.0) 1 if there was an error while getting container metrics, 0 otherwise',
      '# TYPE scrape_error gauge',
      'scrape_error 1',
      '',
    ].join('\n'));
    assert.equal(errors.length, 1);
  });
});

function get(port: number, path: string): Promise<{ status: number; type?: string; body: string }> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body }));
    }).on('error', reject);
  });
}

describe('GET /metrics/resource', () => {
  const logger = pino({ level: 'silent' });
  let withStats: ReadOnlyServer;
  let without: ReadOnlyServer;
  before(async () => {
    const source = new FakePodView();
    withStats = await startReadOnlyServer({ port: 0, anyPort: true, source, logger, resourceMetrics: resourceMetrics(async () => SUMMARY, logger) });
    without = await startReadOnlyServer({ port: 0, anyPort: true, source, logger });
  });
  after(() => Promise.all([withStats.close(), without.close()]));

  const cases = [
    { name: '200 Prometheus text when the agent serves stats', server: () => withStats, status: 200, type: /^text\/plain; version=0\.0\.4/, body: /\npod_memory_working_set_bytes\{namespace="default",pod="web"\} 25165824 1704067800000\n/ },
    { name: '404 without a stats provider', server: () => without, status: 404, type: /application\/json/, body: /"reason":"NotFound"/ },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const res = await get(c.server().port, '/metrics/resource');
      assert.equal(res.status, c.status);
      assert.match(res.type ?? '', c.type);
      assert.match(res.body, c.body);
    });
  }
});
