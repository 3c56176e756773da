// `describe pod`: kubectl's layout (golden), named table cases for probes, states and events, and the CLI against a read-only server.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import { describePods, matchPods } from '../../src/cli/describe.js';
import { describeProbe } from '../../src/cli/describe-containers.js';
import { describePod, type DescribeEvent } from '../../src/cli/describe-pod.js';
import { tabwrite } from '../../src/cli/describe-tabwriter.js';
import { rfc1123z } from '../../src/cli/describe-writer.js';
import { EventRecorder } from '../../src/events/recorder.js';
import { startReadOnlyServer, type ReadOnlyServer } from '../../src/server/read-only-server.js';

const NOW = Date.parse('2024-05-01T12:10:00Z');
const utc = { now: NOW, timeZone: 'UTC' as const };

const fullPod = {
  metadata: {
    name: 'web-node1', namespace: 'default', uid: 'u1',
    labels: { app: 'web', tier: 'front' },
    annotations: { 'kubernetes.io/config.source': 'file', 'kubernetes.io/config.hash': 'abc' },
  },
  spec: {
    nodeName: 'node1', priority: 0, restartPolicy: 'Always',
    containers: [{
      name: 'app', image: 'busybox-httpd:1.36', ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
      command: ['httpd'], args: ['-f', '-p', '8080'],
      livenessProbe: { httpGet: { path: '/healthz', port: 8080, scheme: 'HTTP' }, initialDelaySeconds: 0, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 },
      readinessProbe: { exec: { command: ['cat', '/tmp/ready'] }, initialDelaySeconds: 5, timeoutSeconds: 1, periodSeconds: 5, successThreshold: 1, failureThreshold: 3 },
      env: [{ name: 'MODE', value: 'prod' }, { name: 'POD_IP', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'status.podIP' } } }],
      volumeMounts: [{ name: 'data', mountPath: '/data' }, { name: 'cache', mountPath: '/cache', readOnly: true }],
      resources: { limits: { memory: '64Mi' }, requests: { cpu: '100m', memory: '64Mi' } },
    }],
    volumes: [{ name: 'data', hostPath: { path: '/srv/data', type: '' } }, { name: 'cache', emptyDir: {} }],
    tolerations: [{ operator: 'Exists', effect: 'NoExecute' }],
  },
  status: {
    phase: 'Running', hostIP: '192.168.1.10', podIP: '10.88.0.5', podIPs: [{ ip: '10.88.0.5' }], startTime: '2024-05-01T12:00:00Z', qosClass: 'Burstable',
    conditions: ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({ type, status: 'True' })),
    containerStatuses: [{
      name: 'app', containerID: 'containerd://abc123', image: 'docker.io/library/busybox-httpd:1.36', imageID: 'docker.io/library/busybox-httpd@sha256:ff',
      ready: true, restartCount: 1, started: true,
      state: { running: { startedAt: '2024-05-01T12:05:00Z' } },
      lastState: { terminated: { exitCode: 137, reason: 'Error', startedAt: '2024-05-01T12:00:05Z', finishedAt: '2024-05-01T12:04:58Z' } },
    }],
  },
} as unknown as V1Pod;

const ev = (reason: string, message: string, count: number, first: string, last: string, type = 'Normal'): DescribeEvent => ({
  type, reason, message, count, firstTimestamp: first, lastTimestamp: last, source: { component: 'kubelet' },
});

const fullEvents = [
  ev('Pulled', 'Container image "busybox-httpd:1.36" already present on machine', 2, '2024-05-01T12:00:01Z', '2024-05-01T12:04:59Z'),
  ev('Unhealthy', 'Liveness probe failed: HTTP probe failed with statuscode: 500', 3, '2024-05-01T12:04:30Z', '2024-05-01T12:04:50Z', 'Warning'),
  ev('Scheduled', 'Successfully assigned default/web-node1 to node1', 1, '2024-05-01T12:00:00Z', '2024-05-01T12:00:00Z'),
];

const GOLDEN = `Name:         web-node1
Namespace:    default
Priority:     0
Node:         node1/192.168.1.10
Start Time:   Wed, 01 May 2024 12:00:00 +0000
Labels:       app=web
              tier=front
Annotations:  kubernetes.io/config.hash: abc
              kubernetes.io/config.source: file
Status:       Running
IP:           10.88.0.5
IPs:
  IP:  10.88.0.5
Containers:
  app:
    Container ID:  containerd://abc123
    Image:         busybox-httpd:1.36
    Image ID:      docker.io/library/busybox-httpd@sha256:ff
    Port:          8080/TCP (http)
    Host Port:     0/TCP
    Command:
      httpd
    Args:
      -f
      -p
      8080
    State:          Running
      Started:      Wed, 01 May 2024 12:05:00 +0000
    Last State:     Terminated
      Reason:       Error
      Exit Code:    137
      Started:      Wed, 01 May 2024 12:00:05 +0000
      Finished:     Wed, 01 May 2024 12:04:58 +0000
    Ready:          True
    Restart Count:  1
    Limits:
      memory:  64Mi
    Requests:
      cpu:      100m
      memory:   64Mi
    Liveness:   http-get http://:8080/healthz delay=0s timeout=1s period=10s #success=1 #failure=3
    Readiness:  exec [cat /tmp/ready] delay=5s timeout=1s period=5s #success=1 #failure=3
    Environment:
      MODE:    prod
      POD_IP:  10.88.0.5 (v1:status.podIP)
    Mounts:
      /cache from cache (ro)
      /data from data (rw)
Conditions:
  Type                        Status
  PodReadyToStartContainers   True 
  Initialized                 True 
  Ready                       True 
  ContainersReady             True 
  PodScheduled                True 
Volumes:
  data:
    Type:          HostPath (bare host directory volume)
    Path:          /srv/data
    HostPathType:  
  cache:
    Type:        EmptyDir (a temporary directory that shares a pod's lifetime)
    Medium:      
    SizeLimit:   <unset>
QoS Class:       Burstable
Node-Selectors:  <none>
Tolerations:     :NoExecute op=Exists
Events:
  Type     Reason     Age                    From     Message
  ----     ------     ----                   ----     -------
  Normal   Scheduled  10m                    kubelet  Successfully assigned default/web-node1 to node1
  Warning  Unhealthy  5m10s (x3 over 5m30s)  kubelet  Liveness probe failed: HTTP probe failed with statuscode: 500
  Normal   Pulled     5m1s (x2 over 9m59s)   kubelet  Container image "busybox-httpd:1.36" already present on machine
`;

describe('describePod', () => {
  it('lays a running pod out as kubectl does (golden)', () => {
    assert.equal(describePod(fullPod, fullEvents, utc), GOLDEN);
  });

  const section = (text: string, from: string, to?: string) => {
    const start = text.indexOf(from);
    const end = to ? text.indexOf(to, start + from.length) : text.length;
    return text.slice(start, end);
  };

  const stateCases: { name: string; status: object; want: string }[] = [
    {
      name: 'waiting with a reason',
      status: { state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 10s' } }, ready: false, restartCount: 3 },
      want: '    State:          Waiting\n      Reason:       CrashLoopBackOff\n    Ready:          False\n    Restart Count:  3\n',
    },
    {
      name: 'terminated with a message and a signal',
      status: {
        state: { terminated: { exitCode: 143, signal: 15, reason: 'Error', message: 'bye', startedAt: '2024-05-01T12:00:00Z', finishedAt: '2024-05-01T12:01:00Z' } },
        ready: false, restartCount: 0,
      },
      want:
        '    State:          Terminated\n      Reason:       Error\n      Message:      bye\n      Exit Code:    143\n      Signal:       15\n' +
        '      Started:      Wed, 01 May 2024 12:00:00 +0000\n      Finished:     Wed, 01 May 2024 12:01:00 +0000\n    Ready:          False\n    Restart Count:  0\n',
    },
    {
      name: 'no state yet: Waiting without a reason',
      status: { ready: false, restartCount: 0 },
      want: '    State:          Waiting\n    Ready:          False\n    Restart Count:  0\n',
    },
  ];
  for (const c of stateCases) {
    it(`container state: ${c.name}`, () => {
      const pod = structuredClone(fullPod);
      pod.status!.containerStatuses = [{ name: 'app', image: '', imageID: '', containerID: '', ...c.status } as never];
      const text = describePod(pod, undefined, utc);
      assert.equal(section(text, '    State:', '    Limits:'), c.want);
    });
  }

  it('no events: "Events: <none>" aligned with the lines before it; unknown events: no section', () => {
    const text = describePod(fullPod, [], utc);
    assert.match(text, /\nTolerations:     :NoExecute op=Exists\nEvents:          <none>\n$/);
    assert.doesNotMatch(describePod(fullPod, undefined, utc), /Events:/);
  });

  it('a pod with nothing optional: <none> everywhere, Node <none>', () => {
    const text = describePod({ metadata: { name: 'bare', namespace: 'default' }, spec: { containers: [] }, status: {} }, [], utc);
    assert.equal(
      text,
      'Name:         bare\nNamespace:    default\nNode:         <none>\nLabels:       <none>\nAnnotations:  <none>\nStatus:       \nIP:           \nIPs:          <none>\n' +
        'Containers: <none>\nVolumes:         <none>\nQoS Class:       \nNode-Selectors:  <none>\nTolerations:     <none>\nEvents:          <none>\n',
    );
  });
});

describe('describeProbe', () => {
  const timing = { initialDelaySeconds: 2, timeoutSeconds: 1, periodSeconds: 3, successThreshold: 1, failureThreshold: 4 };
  const attrs = 'delay=2s timeout=1s period=3s #success=1 #failure=4';
  const cases = [
    { name: 'http-get with the host left to the pod', probe: { httpGet: { path: '/', port: 8080, scheme: 'HTTP' } }, want: `http-get http://:8080/ ${attrs}` },
    { name: 'http-get with a named port and https', probe: { httpGet: { path: '/ready', port: 'web', scheme: 'HTTPS' } }, want: `http-get https://:web/ready ${attrs}` },
    { name: 'exec', probe: { exec: { command: ['sh', '-c', 'test -f /tmp/ok'] } }, want: `exec [sh -c test -f /tmp/ok] ${attrs}` },
    { name: 'tcp-socket', probe: { tcpSocket: { port: 5432 } }, want: `tcp-socket :5432 ${attrs}` },
    { name: 'grpc with a service', probe: { grpc: { port: 9090, service: 'api' } }, want: `grpc <pod>:9090 api ${attrs}` },
    { name: 'grpc without a service', probe: { grpc: { port: 9090, service: '' } }, want: `grpc <pod>:9090  ${attrs}` },
  ];
  for (const c of cases) it(c.name, () => assert.equal(describeProbe({ ...timing, ...c.probe }), c.want));
});

describe('events table', () => {
  const cases = [
    { name: 'a single event shows its age', events: [ev('Started', 'Started container app', 1, '2024-05-01T12:09:30Z', '2024-05-01T12:09:30Z')], age: '30s' },
    { name: 'a repeat shows the count and the span', events: [ev('BackOff', 'Back-off restarting failed container app', 4, '2024-05-01T12:08:00Z', '2024-05-01T12:09:55Z', 'Warning')], age: '5s (x4 over 2m)' },
    { name: 'an event without times', events: [{ type: 'Normal', reason: 'X', message: 'm', count: 1 }], age: '<unknown>' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const text = describePod(fullPod, c.events, utc);
      const row = text.split('Events:\n')[1]!.split('\n')[2]!;
      assert.equal(row.trim().split(/\s{2,}/)[2], c.age);
    });
  }

  it('rows come in the order they were last seen', () => {
    const text = describePod(fullPod, fullEvents, utc);
    const reasons = text.split('Events:\n')[1]!.split('\n').slice(2, -1).map((l) => l.split(/\s+/)[2]);
    assert.deepEqual(reasons, ['Scheduled', 'Unhealthy', 'Pulled']);
  });
});

describe('tabwriter and times', () => {
  it('aligns each column block on its own (Go text/tabwriter, padding 2)', () => {
    assert.equal(tabwrite('a:\tx\nlonger:\ty\nbreak\n  k:\tv\n'), 'a:       x\nlonger:  y\nbreak\n  k:  v\n');
    assert.equal(tabwrite('A\tBB\tC\naaaa\tb\tc\n'), 'A     BB  C\naaaa  b   c\n');
  });
  it('RFC1123Z, and Go\'s zero time for an unset one', () => {
    assert.equal(rfc1123z('2024-02-29T23:05:09Z', 'UTC'), 'Thu, 29 Feb 2024 23:05:09 +0000');
    assert.equal(rfc1123z(undefined, 'UTC'), 'Mon, 01 Jan 0001 00:00:00 +0000');
  });
});

describe('describe pod against the read-only server', () => {
  let server: ReadOnlyServer;
  const pods: V1Pod[] = [
    { metadata: { name: 'web-node1', namespace: 'default', uid: 'u1' }, spec: { containers: [] }, status: { phase: 'Running' } },
    { metadata: { name: 'db-node1', namespace: 'default', uid: 'u2' }, spec: { containers: [] }, status: { phase: 'Running' } },
  ];
  let t = NOW - 120_000;
  const logger = { debug() {}, info() {}, warn() {}, error() {}, child() { return logger; } };
  const recorder = new EventRecorder({ logger: logger as never, clock: () => t });
  before(async () => {
    recorder.event(pods[0]!, 'Normal', 'Pulled', 'Container image "busybox:1.36" already present on machine', 'spec.containers{app}');
    t += 10_000;
    for (let i = 0; i < 3; i++, t += 20_000) recorder.event(pods[0]!, 'Warning', 'Unhealthy', 'Liveness probe failed: boom', 'spec.containers{app}');
    recorder.event(pods[1]!, 'Normal', 'Started', 'Started container db', 'spec.containers{db}');
    server = await startReadOnlyServer({
      port: 0,
      anyPort: true,
      source: { pods: () => pods, healthz: () => ({ ok: true, message: '' }), rejected: () => [], subscribe: () => () => {} },
      logger,
      events: (uid) => recorder.eventsFor(uid),
      nodeName: 'node1',
    });
  });
  after(() => server.close());

  it('finds the static pod by the name in its manifest and shows its own events, counted', async () => {
    let out = '';
    await describePods({ server: `http://127.0.0.1:${server.port}`, name: 'web', namespace: 'default' }, { out: (s) => (out += s), now: () => NOW });
    assert.match(out, /^Name:\s+web-node1\n/);
    const events = out.split('Events:\n')[1]!;
    assert.match(events, /Normal\s+Pulled\s+2m\s+kubelet\s+Container image "busybox:1.36" already present on machine/);
    assert.match(events, /Warning\s+Unhealthy\s+\d+s \(x3 over 110s\)\s+kubelet\s+Liveness probe failed: boom/);
    assert.doesNotMatch(out, /Started container db/);
  });

  it('serves core/v1 events and 404s for an unknown pod', async () => {
    const res = await fetch(`http://127.0.0.1:${server.port}/pods/default/db-node1/events`);
    const body = (await res.json()) as { kind: string; items: { involvedObject: { fieldPath: string; uid: string }; source: { host: string }; count: number }[] };
    assert.equal(body.kind, 'EventList');
    assert.deepEqual(body.items.map((e) => [e.involvedObject.uid, e.involvedObject.fieldPath, e.source.host, e.count]), [['u2', 'spec.containers{db}', 'node1', 1]]);
    assert.equal((await fetch(`http://127.0.0.1:${server.port}/pods/default/nope/events`)).status, 404);
  });

  it('no such pod: kubectl\'s NotFound message', async () => {
    await assert.rejects(
      describePods({ server: `http://127.0.0.1:${server.port}`, name: 'cache', namespace: 'default' }, { out: () => {}, now: () => NOW }),
      /Error from server \(NotFound\): pods "cache" not found/,
    );
  });

  it('an exact name wins over a prefix match; namespaces are kept apart', () => {
    const list = [{ metadata: { name: 'web', namespace: 'default' } }, { metadata: { name: 'web-2', namespace: 'default' } }, { metadata: { name: 'web', namespace: 'other' } }] as V1Pod[];
    assert.deepEqual(matchPods(list, 'web', 'default').map((p) => p.metadata?.name), ['web']);
    assert.deepEqual(matchPods(list, 'we', 'default').map((p) => p.metadata?.name), ['web', 'web-2']);
    assert.deepEqual(matchPods(list, 'web-2', 'other'), []);
  });
});
