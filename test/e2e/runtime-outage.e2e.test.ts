// A runtime that goes away and comes back: the pods say so in their status, the agent survives, and nothing restarts.
//
// This test runs its own containerd (its own runtime dir), because it stops it: the shared dev
// runtime of the other e2e files is never touched.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { containerStatus, podYaml, startAgent, type Agent } from '../support/agent.js';
import { parseEndpoint, REPO_DIR, runUp } from '../support/runtime.js';

// Short: the containerd socket path must stay well under the unix socket limit.
const runtimeDir = mkdtempSync('/tmp/mk-out-');
const env = { ...process.env, MINI_KUBELET_RUNTIME_DIR: runtimeDir };
let agent: Agent;

before(async () => {
  const endpoint = parseEndpoint(await runUp(env));
  agent = await startAgent({ name: 'outage', endpoint });
});
after(async () => {
  await agent?.cleanup();
  execFileSync('bash', [path.join(REPO_DIR, 'scripts/runtime/down.sh'), '--purge'], { env, stdio: 'ignore' });
  rmSync(runtimeDir, { recursive: true, force: true });
});

describe('runtime outage', () => {
  it('pods show RuntimeError while containerd is down, and recover untouched when it is back', async () => {
    agent.writeManifest('steady.yaml', podYaml('steady', `
  containers:
    - name: main
      image: busybox:1.36
      command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
`));
    const before = await agent.waitFor('steady Running', async () => {
      const p = await agent.pod('steady');
      return p?.status?.phase === 'Running' ? p : undefined;
    });
    const id = containerStatus(before, 'main')!.containerID;

    const pid = Number(readFileSync(path.join(runtimeDir, 'run', 'containerd.pid'), 'utf8'));
    process.kill(pid, 'SIGTERM');
    const down = await agent.waitFor('RuntimeError on the pod', async () => {
      const p = await agent.pod('steady');
      return p?.status?.reason === 'RuntimeError' ? p : undefined;
    }, 30_000);
    assert.match(down.status!.message!, /container runtime is not answering/);
    assert.equal((await fetch(`http://127.0.0.1:${agent.port}/healthz`)).status, 200, 'a short outage is not yet unhealthy');

    await runUp(env);
    const back = await agent.waitFor('RuntimeError cleared', async () => {
      const p = await agent.pod('steady');
      return p?.status?.phase === 'Running' && !p.status.reason ? p : undefined;
    }, 60_000);
    assert.equal(containerStatus(back, 'main')!.containerID, id, 'the same container runs: nothing was restarted');
    assert.equal(containerStatus(back, 'main')!.restartCount, 0);
  });
});
