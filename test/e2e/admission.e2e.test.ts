// Pod admission end to end on the real containerd: rejected pods are Failed with the kubelet's reason for a static (critical) pod, get no sandbox, and stay shown until their file goes.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { V1Pod } from '@kubernetes/client-node';
import { POD_NAME_LABEL } from '../../src/runtime/labels.js';
import { podYaml, startAgent, type Agent } from '../support/agent.js';
import { running, SLEEP } from '../support/in-pod.js';
import { REPO_DIR } from '../support/runtime.js';

const run = promisify(execFile);
/** predicate.go's message when the critical-pod handler could not preempt; the list of shortfalls follows. */
const NO_PREEMPTION = 'Unexpected error while attempting to recover from admission failure: preemption: error finding a set of pods to preempt: no set of running pods found to reclaim resources: ';
const UNEXPECTED = 'UnexpectedAdmissionError';
let agent: Agent;
let small: Agent;

before(async () => {
  [agent, small] = await Promise.all([startAgent({ name: 'admission' }), startAgent({ name: 'maxpods', extraArgs: ['--max-pods', '1'] })]);
});
after(async () => {
  await Promise.all([agent?.cleanup(), small?.cleanup()]);
});

const sleeper = (extra = '', container = '') => `
${extra}  terminationGracePeriodSeconds: 1
  containers:
    - name: main
      image: busybox:1.36
      command: ${SLEEP}
${container}`;

/** Waits until the pod is Failed with `reason`, and returns it. */
const rejected = (a: Agent, name: string, reason: string): Promise<V1Pod> =>
  a.waitPod(name, `Failed/${reason}`, (p) => p.status?.phase === 'Failed' && p.status?.reason === reason, 30_000);

async function sandboxes(a: Agent, name: string) {
  return a.cri.listPodSandbox({ labelSelector: { [POD_NAME_LABEL]: `${name}-${a.nodeName}` } });
}

async function cli(a: Agent, ...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [path.join(REPO_DIR, 'bin/mini-kubelet.js'), ...args, '--server', `http://127.0.0.1:${a.port}`], { cwd: REPO_DIR, timeout: 120_000 });
  return stdout;
}

describe('pod admission', { concurrency: true, timeout: 240_000 }, () => {
  it('a pod requesting more cpu than the node has is Failed/UnexpectedAdmissionError (no pod to preempt) with no sandbox, while a good pod beside it runs', async () => {
    agent.writeManifest('hungry.yaml', podYaml('hungry', sleeper('', '      resources: { requests: { cpu: "100000" } }\n')));
    agent.writeManifest('modest.yaml', podYaml('modest', sleeper('', '      resources: { requests: { cpu: "10m" } }\n')));
    await running(agent, 'modest');
    const pod = await rejected(agent, 'hungry', UNEXPECTED);
    // q is requested - (capacity - used): 100000 cores in millicores, less the few cores left free.
    const message = pod.status!.message!;
    assert.ok(message.startsWith(`Pod was rejected: ${NO_PREEMPTION}`), message);
    assert.match(message, /\[\(res: cpu, q: 99\d{6}\), \]$/);
    assert.equal(pod.status!.qosClass, 'Burstable');
    const events = await agent.events('hungry');
    assert.deepEqual(events.map((e) => [e.type, e.reason]), [['Warning', UNEXPECTED]]);
    assert.equal(`Pod was rejected: ${events[0]!.message}`, message);
    // The good pod is running by now; the rejected one never got a sandbox, and gets none later.
    assert.deepEqual(await sandboxes(agent, 'hungry'), []);
    await new Promise((r) => setTimeout(r, 2000));
    assert.deepEqual(await sandboxes(agent, 'hungry'), []);
    assert.equal((await agent.pod('hungry'))?.status?.phase, 'Failed', 'still Failed, still listed');

    // The views show it as kubectl would.
    const row = (await cli(agent, 'get', 'pods')).split('\n').find((l) => l.includes(` hungry-${agent.nodeName} `));
    assert.match(row ?? '', /\s0\/1\s+UnexpectedAdmissionError\s+0\s/);
    const described = await cli(agent, 'describe', 'pod', 'hungry');
    assert.match(described, /^Status:\s+Failed$/m);
    assert.match(described, /^Reason:\s+UnexpectedAdmissionError$/m);
    assert.match(described, /^Message:\s+Pod was rejected: Unexpected error while attempting to recover from admission failure: preemption/m);
    assert.match(described, /Warning\s+UnexpectedAdmissionError\s/);

    // Deleting the manifest removes it.
    agent.removeManifest('hungry.yaml');
    await agent.waitFor('hungry gone from /pods', async () => (await agent.pod('hungry')) === undefined, 30_000);
    assert.deepEqual(await agent.events('hungry'), []);
  });

  it('two pods on one hostPort: the later is Failed with NodePorts and keeps failing; an edited manifest is admitted afresh', async () => {
    const port = 31000 + Math.floor(Math.random() * 2000);
    const ports = `      ports: [{ containerPort: 80, hostPort: ${port} }]\n`;
    agent.writeManifest('port-first.yaml', podYaml('port-first', sleeper('', ports)));
    await running(agent, 'port-first');
    agent.writeManifest('port-second.yaml', podYaml('port-second', sleeper('', ports)));
    const second = await rejected(agent, 'port-second', 'NodePorts');
    assert.equal(second.status!.message, "Pod was rejected: Predicate NodePorts failed: node(s) didn't have free ports for the requested pod ports");
    assert.deepEqual(await sandboxes(agent, 'port-second'), []);
    // The port comes free, but a rejected pod is not admitted again: Failed is terminal.
    agent.removeManifest('port-first.yaml');
    await agent.waitFor('port-first gone', async () => (await agent.pod('port-first')) === undefined && (await sandboxes(agent, 'port-first')).length === 0, 30_000);
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal((await agent.pod('port-second'))?.status?.reason, 'NodePorts');
    assert.deepEqual(await sandboxes(agent, 'port-second'), []);
    // Editing the file makes a new pod (a new UID), which is admitted on its own merits.
    const oldUid = second.metadata!.uid;
    agent.writeManifest('port-second.yaml', podYaml('port-second', sleeper('  activeDeadlineSeconds: 3600\n', ports)));
    await running(agent, 'port-second');
    const now = await agent.waitPod('port-second', 'Running with a new UID', (p) => p.metadata?.uid !== oldUid && p.status?.phase === 'Running');
    assert.equal(now.status?.reason, undefined);
  });

  it('a nodeSelector this node does not match is Failed/NodeAffinity even when cpu is short too; a forbidden sysctl is Failed/SysctlForbidden', async () => {
    // Preemption cannot help a pod that fails a predicate too, so that failure is reported, not the cpu.
    agent.writeManifest('elsewhere.yaml', podYaml('elsewhere', sleeper('  nodeSelector: { disktype: ssd }\n', '      resources: { requests: { cpu: "100000" } }\n')));
    agent.writeManifest('tuned.yaml', podYaml('tuned', sleeper('  securityContext: { sysctls: [{ name: net.core.somaxconn, value: "1024" }] }\n')));
    const elsewhere = await rejected(agent, 'elsewhere', 'NodeAffinity');
    assert.equal(elsewhere.status!.message, "Pod was rejected: Predicate NodeAffinity failed: node(s) didn't match Pod's node affinity/selector");
    const tuned = await rejected(agent, 'tuned', 'SysctlForbidden');
    assert.equal(tuned.status!.message, 'Pod was rejected: forbidden sysctl: "net.core.somaxconn" not allowlisted');
    assert.deepEqual([...(await sandboxes(agent, 'elsewhere')), ...(await sandboxes(agent, 'tuned'))], []);
  });

  it('--max-pods: a pod beyond it is Failed/UnexpectedAdmissionError short of one pod', async () => {
    small.writeManifest('one.yaml', podYaml('one', sleeper()));
    await running(small, 'one');
    small.writeManifest('two.yaml', podYaml('two', sleeper()));
    const two = await rejected(small, 'two', UNEXPECTED);
    assert.equal(two.status!.message, `Pod was rejected: ${NO_PREEMPTION}[(res: pods, q: 1), ]`);
    assert.deepEqual(await sandboxes(small, 'two'), []);
  });
});
