// The HTTP pod source end to end: an agent with --manifest-url and no manifest files runs, replaces, keeps and removes the pod a server in this process serves.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import { POD_NAME_LABEL } from '../../src/runtime/labels.js';
import { podYaml, startAgent, type Agent } from '../support/agent.js';

let agent: Agent;
let server: Server;
/** What the server answers every GET with; the steps below change it. */
const reply = { status: 200, body: '' };
let gets = 0;

const sleeper = (seconds: number) => podYaml('web', `
  terminationGracePeriodSeconds: 5
  containers:
    - name: main
      image: busybox:1.36
      command: ["sh", "-c", "trap 'exit 0' TERM; sleep ${seconds} & wait"]
`);

before(async () => {
  reply.body = sleeper(3600);
  server = createServer((_req, res) => {
    gets++;
    res.writeHead(reply.status, { 'content-type': 'application/yaml' });
    res.end(reply.body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/static-pods`;
  agent = await startAgent({ name: 'http', extraArgs: ['--manifest-url', url, '--http-check-frequency', '1s'] });
});
after(async () => {
  await agent?.cleanup();
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
});

async function readySandboxes(): Promise<number> {
  const all = await agent.cri.listPodSandbox({ labelSelector: { [POD_NAME_LABEL]: `web-${agent.nodeName}` } });
  return all.filter((s) => s.state === 'SANDBOX_READY').length;
}

const running = (p: V1Pod) => p.status?.phase === 'Running';

/** Waits until the server has answered `n` more GETs, so the agent has read what it serves now. */
async function polls(n: number): Promise<void> {
  const target = gets + n;
  await agent.waitFor(`${n} more GETs of the manifest URL`, () => gets >= target, 30_000);
}

describe('http pod source', () => {
  let uid = '';

  it('the served pod runs in containerd and shows in /pods with config.source http', async () => {
    const pod = await agent.waitPod('web', 'Running', running, 120_000);
    uid = pod.metadata!.uid!;
    assert.equal(pod.metadata!.annotations!['kubernetes.io/config.source'], 'http');
    assert.equal(pod.metadata!.name, `web-${agent.nodeName}`);
    assert.equal(await readySandboxes(), 1);
    const containers = await agent.cri.listContainers({ labelSelector: { [POD_NAME_LABEL]: `web-${agent.nodeName}` } });
    assert.ok(containers.some((c) => c.state === 'CONTAINER_RUNNING'), 'the container runs');
  });

  it('a changed pod is replaced: a new UID runs, the old sandbox goes', async () => {
    reply.body = sleeper(3601);
    const pod = await agent.waitPod('web', 'replaced and Running', (p) => p.metadata!.uid !== uid && running(p), 120_000);
    assert.match(JSON.stringify(pod.spec!.containers[0]!.command), /sleep 3601/);
    await agent.waitFor('one ready sandbox for web', async () => (await readySandboxes()) === 1, 60_000);
    uid = pod.metadata!.uid!;
  });

  it('an invalid pod is refused whole and reported at /manifests/errors; the running pod stays', async () => {
    reply.body = podYaml('web', '  containers: []\n');
    const errors = await agent.waitFor('the refusal at /manifests/errors', async () => {
      const res = await fetch(`http://127.0.0.1:${agent.port}/manifests/errors`);
      const { items } = (await res.json()) as { items: Array<{ source: string; message: string }> };
      return items.length > 0 ? items : undefined;
    });
    assert.equal(errors[0]!.source, 'http');
    assert.match(errors[0]!.message, /spec\.containers: Required value/);
    const pod = await agent.pod('web');
    assert.equal(pod?.metadata!.uid, uid);
    assert.ok(pod && running(pod));
  });

  it('a 500 keeps the pod running', async () => {
    reply.body = sleeper(3601);
    reply.status = 500;
    await polls(3);
    const pod = await agent.pod('web');
    assert.equal(pod?.metadata!.uid, uid);
    assert.ok(pod && running(pod), `phase ${pod?.status?.phase}`);
    assert.equal(await readySandboxes(), 1);
    assert.match(agent.output(), /Failed to read pods from URL/);
  });

  it('an empty body stops and removes the pod', async () => {
    reply.status = 200;
    reply.body = '';
    await agent.waitFor('web gone from /pods', async () => (await agent.pod('web')) === undefined, 60_000);
    await agent.waitFor('web stopped in containerd', async () => {
      const containers = await agent.cri.listContainers({ labelSelector: { [POD_NAME_LABEL]: `web-${agent.nodeName}` } });
      return (await readySandboxes()) === 0 && containers.every((c) => c.state !== 'CONTAINER_RUNNING');
    }, 60_000);
  });
});
