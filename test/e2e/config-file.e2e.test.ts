// --config end to end: an agent whose manifest dir and read-only port come only from its KubeletConfiguration file.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { podYaml, startAgent, type Agent } from '../support/agent.js';

let agent: Agent;

before(async () => {
  // No --pod-manifest-path and no --read-only-port: staticPodPath is relative to the file (written
  // next to the manifest dir), readOnlyPort is the port the harness polls for /healthz.
  agent = await startAgent({
    name: 'config',
    kubeletConfig: ({ port }) => `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
staticPodPath: manifests
readOnlyPort: ${port}
syncFrequency: 30s
authentication:
  anonymous:
    enabled: false
evictionHard:
  memory.available: 100Mi
`,
  });
});
after(async () => {
  await agent?.cleanup();
});

it('runs a pod from the configured staticPodPath and serves /pods on the configured readOnlyPort', async () => {
  agent.writeManifest('web.yaml', podYaml('web', `
  containers:
    - name: main
      image: busybox:1.36
      command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
`));
  const pod = await agent.waitPod('web', 'Running', (p) => p.status?.phase === 'Running');
  assert.equal(pod.metadata?.name, `web-${agent.nodeName}`);
  const res = await fetch(`http://127.0.0.1:${agent.port}/pods`);
  assert.equal(res.status, 200);
  const names = ((await res.json()) as { items: Array<{ metadata: { name: string } }> }).items.map((p) => p.metadata.name);
  assert.deepEqual(names, [`web-${agent.nodeName}`]);
  // The field it has no counterpart for (evictionHard: mini-kubelet does not evict) is reported
  // once, at warn, and does not stop it; authentication is honoured, so it is not listed.
  const ignored = agent.output().split('\n').filter((l) => l.includes('ignored: not supported by mini-kubelet'));
  assert.equal(ignored.length, 1);
  assert.deepEqual(JSON.parse(ignored[0]!).fields, ['evictionHard']);
  assert.equal(JSON.parse(ignored[0]!).level, 40);
});
