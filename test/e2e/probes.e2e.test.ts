// Probes end to end on the real containerd: liveness restarts, HTTP readiness both ways, TCP, gRPC, and startup holding liveness back.
import type { V1Pod } from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { containerStatus, podYaml, startAgent, type Agent } from '../support/agent.js';
import { REGISTRY, runUp } from '../support/runtime.js';

let agent: Agent;

before(async () => {
  agent = await startAgent({ name: 'probes' });
  // The gRPC test image came later than the others; a long-lived dev runtime may not have it yet.
  const res = await fetch(`http://${REGISTRY}/v2/library/grpc-health/manifests/1.0`, {
    method: 'HEAD',
    headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' },
  });
  if (res.status !== 200) await runUp();
});
after(async () => {
  await agent?.cleanup();
});

const cond = (pod: V1Pod | undefined, type: string) => pod?.status?.conditions?.find((c) => c.type === type)?.status;

const criId = (pod: V1Pod, name: string) => (containerStatus(pod, name)?.containerID ?? '').replace(/^[^:]*:\/\//, '');

describe('probes', { concurrency: true, timeout: 240_000 }, () => {
  it('a container whose liveness exec starts failing is restarted, and lastState and the events say why', async () => {
    agent.writeManifest('liveness.yaml', podYaml('liveness', `
  terminationGracePeriodSeconds: 5
  containers:
    - name: app
      image: busybox:1.36
      command: ["sh", "-c", "trap 'exit 143' TERM; touch /tmp/healthy; sleep 3; rm -f /tmp/healthy; while :; do sleep 1 & wait; done"]
      livenessProbe:
        exec:
          command: ["cat", "/tmp/healthy"]
        periodSeconds: 1
        failureThreshold: 2
`));
    const pod = await agent.waitPod('liveness', 'restarted once', (p) => (containerStatus(p, 'app')?.restartCount ?? 0) >= 1, 90_000);
    const last = containerStatus(pod, 'app')?.lastState?.terminated;
    assert.ok(last, 'lastState.terminated is set');
    // The kill is a SIGTERM the shell turns into exit 143: killed, not a crash of its own.
    assert.equal(last.exitCode, 143);
    assert.equal(last.reason, 'Error');
    const evs = await agent.events('liveness');
    const unhealthy = evs.find((e) => e.reason === 'Unhealthy');
    assert.equal(unhealthy?.type, 'Warning');
    assert.match(unhealthy?.message ?? '', /^Liveness probe failed: cat: can't open '\/tmp\/healthy': No such file or directory/);
    assert.equal(unhealthy?.involvedObject.fieldPath, 'spec.containers{app}');
    assert.ok(evs.some((e) => e.reason === 'Killing' && e.message === 'Container app failed liveness probe, will be restarted'), JSON.stringify(evs.map((e) => e.message)));

    // /metrics/probes counts every probe that ran, by result, with the kubelet's labels.
    const text = await (await fetch(`http://127.0.0.1:${agent.port}/metrics/probes`)).text();
    const series = (result: string) =>
      `prober_probe_total{probe_type="Liveness",result="${result}",container="app",pod="liveness-${agent.nodeName}",namespace="default",pod_uid="${pod.metadata!.uid}"}`;
    const value = (result: string) => Number(text.split('\n').find((l) => l.startsWith(`${series(result)} `))?.split(' ')[1]);
    assert.ok(value('failed') >= 2, `two failures before the restart:\n${text}`);
    assert.ok(value('successful') >= 1, 'and the successes before them');
  });

  it('an HTTP readiness probe flips Ready and ContainersReady both ways', async () => {
    agent.writeManifest('ready-http.yaml', podYaml('ready-http', `
  terminationGracePeriodSeconds: 1
  containers:
    - name: web
      image: busybox-httpd:1.36
      ports:
        - name: http
          containerPort: 8080
      readinessProbe:
        httpGet:
          path: /healthz
          port: http
          httpHeaders:
            - name: X-Probe
              value: mini-kubelet
        periodSeconds: 1
        failureThreshold: 1
`));
    let pod = await agent.waitPod('ready-http', 'Ready', (p) => cond(p, 'Ready') === 'True');
    assert.equal(cond(pod, 'ContainersReady'), 'True');
    assert.equal(containerStatus(pod, 'web')?.ready, true);

    await agent.cri.execSync(criId(pod, 'web'), ['rm', '/www/healthz'], 5);
    pod = await agent.waitPod('ready-http', 'not Ready after /healthz went away', (p) => cond(p, 'Ready') === 'False', 30_000);
    assert.equal(cond(pod, 'ContainersReady'), 'False');
    assert.equal(containerStatus(pod, 'web')?.ready, false);
    assert.equal(containerStatus(pod, 'web')?.restartCount, 0, 'readiness never restarts');
    assert.ok((await agent.events('ready-http')).some((e) => e.reason === 'Unhealthy' && e.message === 'Readiness probe failed: HTTP probe failed with statuscode: 404'));

    await agent.cri.execSync(criId(pod, 'web'), ['sh', '-c', 'echo ok > /www/healthz'], 5);
    pod = await agent.waitPod('ready-http', 'Ready again', (p) => cond(p, 'Ready') === 'True', 30_000);
    assert.equal(cond(pod, 'ContainersReady'), 'True');
  });

  it('a TCP probe: an open port is ready, a closed one is not', async () => {
    agent.writeManifest('tcp.yaml', podYaml('tcp', `
  terminationGracePeriodSeconds: 1
  containers:
    - name: web
      image: busybox-httpd:1.36
      ports:
        - name: http
          containerPort: 8080
      readinessProbe:
        tcpSocket:
          port: http
        periodSeconds: 1
    - name: closed
      image: busybox:1.36
      command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1 & wait; done"]
      readinessProbe:
        tcpSocket:
          port: 9999
        periodSeconds: 1
`));
    const pod = await agent.waitPod('tcp', 'web ready', (p) => containerStatus(p, 'web')?.ready === true);
    assert.equal(containerStatus(pod, 'closed')?.ready, false);
    assert.equal(cond(pod, 'Ready'), 'False');
    const evs = await agent.waitFor('a TCP failure event', async () => {
      const e = (await agent.events('tcp')).find((x) => x.reason === 'Unhealthy' && x.involvedObject.fieldPath === 'spec.containers{closed}');
      return e;
    });
    assert.equal(evs.message, `Readiness probe failed: dial tcp ${pod.status?.podIP}:9999: connect: connection refused`);
  });

  it('a gRPC probe against a real grpc.health.v1 server: ready, then NOT_SERVING turns it unready', async () => {
    agent.writeManifest('grpc.yaml', podYaml('grpc', `
  terminationGracePeriodSeconds: 1
  containers:
    - name: health
      image: grpc-health:1.0
      readinessProbe:
        grpc:
          port: 9090
        periodSeconds: 1
        failureThreshold: 1
    - name: missing
      image: grpc-health:1.0
      env:
        - name: PORT
          value: "9091"
      readinessProbe:
        grpc:
          port: 9091
          service: missing
        periodSeconds: 1
`));
    let pod = await agent.waitPod('grpc', 'health ready', (p) => containerStatus(p, 'health')?.ready === true, 120_000);
    assert.equal(containerStatus(pod, 'missing')?.ready, false);
    await agent.cri.execSync(criId(pod, 'health'), ['touch', '/tmp/not-serving'], 5);
    pod = await agent.waitPod('grpc', 'health not ready', (p) => containerStatus(p, 'health')?.ready === false, 30_000);
    // Wait for each event rather than reading once: the 'missing' server may still have been
    // starting at its first probes (connection refused), so its NotFound event can come later.
    for (const message of [
      'Readiness probe failed: service unhealthy (responded with "NOT_SERVING")',
      'Readiness probe failed: error: health rpc probe failed: rpc error: code = NotFound desc = unknown service',
    ]) {
      await agent.waitFor(`event: ${message}`, async () => (await agent.events('grpc')).find((e) => e.message === message), 30_000);
    }
  });

  it('a startup probe holds liveness back until it succeeds', async () => {
    // Liveness would fail at once (no /tmp/alive yet); only the startup probe keeps it from running.
    // The 20 s before the marker leave room for a slow first read of Running, which must see started false.
    agent.writeManifest('startup.yaml', podYaml('startup', `
  terminationGracePeriodSeconds: 1
  containers:
    - name: slow
      image: busybox:1.36
      command: ["sh", "-c", "trap 'exit 0' TERM; sleep 20; touch /tmp/alive /tmp/started; while :; do sleep 1 & wait; done"]
      startupProbe:
        exec:
          command: ["cat", "/tmp/started"]
        periodSeconds: 1
        failureThreshold: 40
      livenessProbe:
        exec:
          command: ["cat", "/tmp/alive"]
        periodSeconds: 1
        failureThreshold: 1
`));
    const early = await agent.waitPod('startup', 'running', (p) => !!containerStatus(p, 'slow')?.state?.running);
    assert.equal(containerStatus(early, 'slow')?.started, false, 'not started while the startup probe fails');
    assert.equal(containerStatus(early, 'slow')?.ready, false);
    const pod = await agent.waitPod('startup', 'started and ready', (p) => containerStatus(p, 'slow')?.started === true && containerStatus(p, 'slow')?.ready === true, 60_000);
    await new Promise((r) => setTimeout(r, 3000));
    const later = (await agent.pod('startup')) ?? pod;
    assert.equal(containerStatus(later, 'slow')?.restartCount, 0, 'liveness never ran against the starting container');
    const evs = await agent.events('startup');
    assert.ok(evs.some((e) => e.message.startsWith('Startup probe failed:')), 'the startup probe did fail meanwhile');
    assert.ok(!evs.some((e) => e.message.startsWith('Liveness probe failed:')), JSON.stringify(evs.map((e) => e.message)));
  });
});
