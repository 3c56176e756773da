// GET /stats/summary on the read-only server: 404 without a provider, the Summary as JSON, only_cpu_and_memory, HEAD, 500 with the reason.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { startReadOnlyServer, type ReadOnlyServer } from '../../src/server/read-only-server.js';
import type { SummaryOptions } from '../../src/stats/provider.js';
import type { Summary } from '../../src/stats/types.js';
import { FakePodView } from '../support/fake-pod-view.js';

const logger = pino({ level: 'silent' });

function request(port: number, path: string, method = 'GET'): Promise<{ status: number; type?: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const SUMMARY: Summary = {
  node: { nodeName: 'n1', startTime: '2024-01-01T00:00:00Z', cpu: { time: '2024-01-01T00:10:00Z', usageCoreNanoSeconds: 5 } },
  pods: [{ podRef: { name: 'web', namespace: 'default', uid: 'u1' }, startTime: '2024-01-01T00:01:00Z', containers: [] }],
};

describe('/stats/summary', () => {
  const servers: ReadOnlyServer[] = [];
  const asked: SummaryOptions[] = [];
  let fail: Error | undefined;
  let withStats: ReadOnlyServer;
  let without: ReadOnlyServer;
  before(async () => {
    const summary = async (o: SummaryOptions) => {
      asked.push(o);
      if (fail) throw fail;
      return SUMMARY;
    };
    withStats = await startReadOnlyServer({ port: 0, anyPort: true, source: new FakePodView(), logger, summary });
    without = await startReadOnlyServer({ port: 0, anyPort: true, source: new FakePodView(), logger });
    servers.push(withStats, without);
  });
  after(() => Promise.all(servers.map((s) => s.close())));

  it('404 when the agent serves no stats', async () => {
    const res = await request(without.port, '/stats/summary');
    assert.equal(res.status, 404);
    assert.equal(JSON.parse(res.body).reason, 'NotFound');
  });

  const cases = [
    { name: 'the whole Summary', path: '/stats/summary', only: false },
    { name: 'only_cpu_and_memory=true', path: '/stats/summary?only_cpu_and_memory=true', only: true },
    // The kubelet compares the value with "true" exactly.
    { name: 'only_cpu_and_memory=1 is not true', path: '/stats/summary?only_cpu_and_memory=1', only: false },
  ];
  for (const c of cases) {
    it(`200 JSON: ${c.name}`, async () => {
      asked.length = 0;
      const res = await request(withStats.port, c.path);
      assert.equal(res.status, 200);
      assert.match(res.type ?? '', /application\/json/);
      assert.deepEqual(JSON.parse(res.body), SUMMARY);
      assert.deepEqual(asked, [{ onlyCpuAndMemory: c.only }]);
    });
  }

  it('HEAD answers 200 with no body', async () => {
    const res = await request(withStats.port, '/stats/summary', 'HEAD');
    assert.equal(res.status, 200);
    assert.equal(res.body, '');
  });

  it('500 with the error message when the stats cannot be collected', async () => {
    fail = new Error('failed to list pod stats: connection refused');
    try {
      const res = await request(withStats.port, '/stats/summary');
      assert.equal(res.status, 500);
      assert.equal(res.body, 'Internal Error: failed to list pod stats: connection refused');
    } finally {
      fail = undefined;
    }
  });
});
