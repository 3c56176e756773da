// The TCP, gRPC and exec handlers and the prober's events, against loopback servers and the fake CRI.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import type { V1Pod } from '@kubernetes/client-node';
import { CriError } from '../../src/cri/errors.js';
import type { EventType } from '../../src/events/recorder.js';
import { doExecProbe, expandProbeCommand } from '../../src/prober/exec.js';
import { decodeHealthCheckResponse, doGrpcProbe, encodeHealthCheckRequest, goDuration } from '../../src/prober/grpc.js';
import { CriProber, MAX_PROBE_RETRIES } from '../../src/prober/prober.js';
import { doTcpProbe } from '../../src/prober/tcp.js';

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe('tcp probe', () => {
  it('succeeds when a connection opens, fails with the dial error when refused', async () => {
    const server = net.createServer((s) => s.destroy());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    assert.deepEqual(await doTcpProbe('127.0.0.1', port, 1000), { result: 'success', output: '' });
    await new Promise((r) => server.close(r));
    assert.deepEqual(await doTcpProbe('127.0.0.1', port, 1000), {
      result: 'failure',
      output: `dial tcp 127.0.0.1:${port}: connect: connection refused`,
    });
  });
});

describe('grpc probe', () => {
  // A real grpc-js server speaking grpc.health.v1 with the same tiny codec, statuses per service.
  const statuses: Record<string, number> = { '': 1, sick: 2 };
  let server: grpc.Server;
  let port = 0;
  let userAgent = '';
  before(async () => {
    server = new grpc.Server();
    // An object, not a bare string: grpc-js takes a falsy request ('') for a missing one.
    const decodeRequest = (b: Buffer) => ({ service: b.length ? b.subarray(2).toString('utf8') : '' });
    server.addService(
      {
        Check: {
          path: '/grpc.health.v1.Health/Check',
          requestStream: false,
          responseStream: false,
          requestSerialize: (r: { service: string }) => encodeHealthCheckRequest(r.service),
          requestDeserialize: decodeRequest,
          responseSerialize: (status: number) => Buffer.from([0x08, status]),
          responseDeserialize: decodeHealthCheckResponse,
        },
      },
      {
        Check: (call: grpc.ServerUnaryCall<{ service: string }, number>, cb: grpc.sendUnaryData<number>) => {
          userAgent = String(call.metadata.get('user-agent')[0] ?? '');
          const status = statuses[call.request.service];
          if (status === undefined) cb({ code: grpc.status.NOT_FOUND, details: 'unknown service' });
          else cb(null, status);
        },
      },
    );
    port = await new Promise<number>((r, j) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? j(err) : r(p))),
    );
  });
  after(() => server.forceShutdown());

  const cases = [
    { name: 'SERVING is healthy', service: '', want: { result: 'success', output: 'service healthy' } },
    { name: 'NOT_SERVING fails', service: 'sick', want: { result: 'failure', output: 'service unhealthy (responded with "NOT_SERVING")' } },
    { name: 'an RPC error fails with its code', service: 'nope', want: { result: 'failure', output: 'error: health rpc probe failed: rpc error: code = NotFound desc = unknown service' } },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      assert.deepEqual(await doGrpcProbe('127.0.0.1', c.service, port, 2), c.want);
    });
  }

  it('sends the kube-probe user agent', async () => {
    await doGrpcProbe('127.0.0.1', '', port, 2);
    assert.match(userAgent, /^kube-probe\/1\.34/);
  });

  it('no server: a connect timeout after the probe timeout', async () => {
    const closed = await freePort();
    const r = await doGrpcProbe('127.0.0.1', '', closed, 1);
    assert.deepEqual(r, { result: 'failure', output: `timeout: failed to connect service "127.0.0.1:${closed}" within 1s: context deadline exceeded` });
  });

  it('codec and durations', () => {
    assert.deepEqual([...encodeHealthCheckRequest('ab')], [0x0a, 2, 0x61, 0x62]);
    assert.equal(decodeHealthCheckResponse(Buffer.from([0x12, 1, 0x41, 0x08, 3])), 3, 'unknown fields are skipped');
    assert.deepEqual([goDuration(1), goDuration(90), goDuration(3600)], ['1s', '1m30s', '1h0m0s']);
  });
});

function fakeExec(answer: (cmd: string[], timeout: number) => { stdout?: string; stderr?: string; exitCode?: number } | Error) {
  const calls: { id: string; cmd: string[]; timeout: number }[] = [];
  return {
    calls,
    cri: {
      async execSync(id: string, cmd: string[], timeout: number) {
        calls.push({ id, cmd, timeout });
        const a = answer(cmd, timeout);
        if (a instanceof Error) throw a;
        return { stdout: Buffer.from(a.stdout ?? ''), stderr: Buffer.from(a.stderr ?? ''), exitCode: a.exitCode ?? 0 };
      },
    },
  };
}

describe('exec probe', () => {
  it('exit 0 succeeds, anything else fails with stdout and stderr as output', async () => {
    const ok = fakeExec(() => ({ stdout: 'fine\n' }));
    assert.deepEqual(await doExecProbe(ok.cri, 'c1', ['cat', '/tmp/healthy'], 3), { result: 'success', output: 'fine\n' });
    assert.deepEqual(ok.calls, [{ id: 'c1', cmd: ['cat', '/tmp/healthy'], timeout: 3 }]);
    const bad = fakeExec(() => ({ stdout: 'out ', stderr: 'cat: /tmp/healthy: No such file or directory\n', exitCode: 1 }));
    assert.deepEqual(await doExecProbe(bad.cri, 'c1', ['cat', '/tmp/healthy'], 1), {
      result: 'failure',
      output: 'out cat: /tmp/healthy: No such file or directory\n',
    });
  });

  it('a timeout fails with the command; another runtime error is an error', async () => {
    const slow = fakeExec(() => new CriError(grpc.status.DEADLINE_EXCEEDED, 'ExecSync', 'deadline'));
    assert.deepEqual(await doExecProbe(slow.cri, 'c1', ['sleep', '5'], 1), { result: 'failure', output: 'command "sleep 5" timed out' });
    const old = fakeExec(() => new CriError(grpc.status.UNKNOWN, 'ExecSync', 'timeout 1s exceeded: context deadline exceeded'));
    assert.equal((await doExecProbe(old.cri, 'c1', ['sleep', '5'], 1)).result, 'failure');
    const gone = fakeExec(() => new CriError(grpc.status.NOT_FOUND, 'ExecSync', 'container not found'));
    const r = await doExecProbe(gone.cri, 'c1', ['true'], 1);
    assert.equal(r.result, 'unknown');
    assert.ok(r.error);
  });

  it('expands $(VAR) from the container env values only', () => {
    assert.deepEqual(
      expandProbeCommand(['sh', '-c', 'test -f $(FILE) && echo $(SECRET) $$(FILE) $(NOPE)'], [
        { name: 'FILE', value: '/tmp/x' },
        { name: 'SECRET', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } },
      ]),
      ['sh', '-c', 'test -f /tmp/x && echo  $(FILE) $(NOPE)'],
    );
  });
});

describe('CriProber', () => {
  const pod: V1Pod = { metadata: { name: 'web', namespace: 'default', uid: 'u1' }, spec: { containers: [] } };
  const target = { podIP: '10.88.0.9', podIPs: ['10.88.0.9'] };
  function recorder() {
    const events: { type: EventType; reason: string; message: string; fieldPath?: string }[] = [];
    return { events, event: (_p: V1Pod, type: EventType, reason: string, message: string, fieldPath?: string) => void events.push({ type, reason, message, fieldPath }) };
  }

  it('a failed liveness probe is an Unhealthy warning with the output', async () => {
    const rec = recorder();
    const { cri } = fakeExec(() => ({ stderr: 'no file', exitCode: 1 }));
    const prober = new CriProber({ cri, recorder: rec });
    const run = await prober.probe('Liveness', pod, { name: 'app', livenessProbe: { exec: { command: ['cat', 'x'] } } }, 'c1', target);
    assert.deepEqual(run, { result: 'Failure' });
    assert.deepEqual(rec.events, [{ type: 'Warning', reason: 'Unhealthy', message: 'Liveness probe failed: no file', fieldPath: 'spec.containers{app}' }]);
  });

  it('a probe that cannot run is retried, then reported as errored and thrown away', async () => {
    const rec = recorder();
    const { cri } = fakeExec(() => ({}));
    const prober = new CriProber({ cri, recorder: rec });
    const run = await prober.probe('Readiness', pod, { name: 'app', readinessProbe: { tcpSocket: { port: 80, host: '192.0.2.1' } } }, 'c1', target);
    assert.equal(run.result, 'Failure');
    assert.ok(run.error);
    assert.equal(rec.events.length, 1);
    assert.match(rec.events[0]!.message, /^Readiness probe errored and resulted in unknown state: host "192.0.2.1" is neither the pod's IP nor loopback/);
  });

  it('retries an erroring exec up to maxProbeRetries times', async () => {
    const rec = recorder();
    const fx = fakeExec(() => new CriError(grpc.status.UNAVAILABLE, 'ExecSync', 'runtime down'));
    const prober = new CriProber({ cri: fx.cri, recorder: rec });
    await prober.probe('Startup', pod, { name: 'app', startupProbe: { exec: { command: ['true'] } } }, 'c1', target);
    assert.equal(fx.calls.length, MAX_PROBE_RETRIES);
  });

  it('success records nothing', async () => {
    const rec = recorder();
    const prober = new CriProber({ cri: fakeExec(() => ({})).cri, recorder: rec });
    assert.deepEqual(await prober.probe('Startup', pod, { name: 'app', startupProbe: { exec: { command: ['true'] } } }, 'c1', target), { result: 'Success' });
    assert.deepEqual(rec.events, []);
  });
});
