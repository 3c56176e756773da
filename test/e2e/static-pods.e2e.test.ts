// Static pods end to end: manifest files in, sandboxes and containers in the real containerd out.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Container } from '../../src/cri/types.js';
import { CONTAINER_NAME_LABEL, POD_NAME_LABEL } from '../../src/runtime/labels.js';
import { containerStatus, podYaml, startAgent, type Agent } from '../support/agent.js';
import { deleteImage, pushImage } from '../support/registry.js';

let agent: Agent;

before(async () => {
  agent = await startAgent({ name: 'static' });
});
after(async () => {
  await agent?.cleanup();
});

/** The pod's containers as containerd reports them (by the io.kubernetes.pod.name label). */
async function runtimeContainers(podName: string, container?: string): Promise<Container[]> {
  const labelSelector: Record<string, string> = { [POD_NAME_LABEL]: `${podName}-${agent.nodeName}` };
  if (container) labelSelector[CONTAINER_NAME_LABEL] = container;
  return agent.cri.listContainers({ labelSelector });
}

async function readySandboxes(podName: string) {
  const all = await agent.cri.listPodSandbox({ labelSelector: { [POD_NAME_LABEL]: `${podName}-${agent.nodeName}` } });
  return all.filter((s) => s.state === 'SANDBOX_READY');
}

const sleeper = (name: string, extra = '') =>
  podYaml(name, `
${extra}  containers:
    - name: main
      image: busybox:1.36
      command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
`);

describe('static pods', { concurrency: true }, () => {
  it('a pod from a file runs in containerd, with the kubelet labels and log path', async () => {
    agent.writeManifest('plain.yaml', sleeper('plain'));
    const [c] = await agent.waitFor('plain running in containerd', async () => {
      const cs = (await runtimeContainers('plain')).filter((x) => x.state === 'CONTAINER_RUNNING');
      return cs.length ? cs : undefined;
    });
    assert.equal(c!.labels['io.kubernetes.pod.namespace'], 'default');
    const status = await agent.cri.containerStatus(c!.id);
    assert.match(status.logPath, new RegExp(`/default_plain-${agent.nodeName}_[^/]+/main/0\\.log$`));
    const pod = await agent.waitFor('plain Running in /pods', async () => {
      const p = await agent.pod('plain');
      return p?.status?.phase === 'Running' ? p : undefined;
    });
    assert.equal(containerStatus(pod, 'main')?.containerID, `containerd://${c!.id}`);
  });

  it('editing the file replaces the pod: the old one is torn down, the new one runs', async () => {
    agent.writeManifest('edit.yaml', sleeper('edit'));
    const first = await agent.waitFor('edit v1 running', async () => (await agent.pod('edit'))?.status?.phase === 'Running' && agent.pod('edit'));
    const oldUid = first!.metadata!.uid!;
    agent.writeManifest('edit.yaml', sleeper('edit', '  terminationGracePeriodSeconds: 2\n'));
    await agent.waitFor('edit v2 running with a new UID', async () => {
      const p = await agent.pod('edit');
      return p && p.metadata!.uid !== oldUid && p.status?.phase === 'Running';
    });
    await agent.waitFor('only one ready sandbox for edit', async () => (await readySandboxes('edit')).length === 1);
    const sbs = await readySandboxes('edit');
    assert.notEqual(sbs[0]!.metadata.uid, oldUid);
  });

  it('deleting the file stops and removes the pod within its grace period', async () => {
    agent.writeManifest('gone.yaml', podYaml('gone', `
  terminationGracePeriodSeconds: 3
  containers:
    - name: stubborn
      image: busybox:1.36
      command: ["sh", "-c", "trap '' TERM; sleep 3600"]
`));
    await agent.waitFor('gone running', async () => (await agent.pod('gone'))?.status?.phase === 'Running');
    const t0 = Date.now();
    agent.removeManifest('gone.yaml');
    await agent.waitFor('gone removed from containerd', async () => (await runtimeContainers('gone')).length === 0 && (await readySandboxes('gone')).length === 0, 30_000);
    const took = (Date.now() - t0) / 1000;
    // The container ignores SIGTERM, so it is killed when the 3s grace period ends, not before.
    assert.ok(took >= 2.5, `removed after ${took}s: the grace period was not honoured`);
    assert.ok(took < 25, `removed after ${took}s: too slow`);
    assert.equal(await agent.pod('gone'), undefined);
  });

  it('a crashing container under Always restarts at once, then after about 10s, then about 20s', async () => {
    agent.writeManifest('crash.yaml', podYaml('crash', `
  containers:
    - name: crasher
      image: busybox:1.36
      command: ["sh", "-c", "exit 1"]
`));
    const seen = new Map<number, { started: number; finished: number }>();
    await agent.waitFor('four attempts of crasher', async () => {
      for (const c of await runtimeContainers('crash', 'crasher')) {
        const s = await agent.cri.containerStatus(c.id).catch(() => undefined);
        if (s && s.startedAt > 0 && s.finishedAt > 0) seen.set(s.metadata.attempt, { started: s.startedAt / 1e6, finished: s.finishedAt / 1e6 });
      }
      return seen.has(3);
    }, 90_000);
    const gap = (n: number) => (seen.get(n)!.started - seen.get(n - 1)!.finished) / 1000;
    // "Immediate" is one relist plus one sync; the bounds leave room for a loaded CI machine,
    // while still telling 0s, 10s and 20s apart.
    assert.ok(gap(1) < 9, `first restart should be immediate, took ${gap(1)}s`);
    assert.ok(gap(2) >= 9.5 && gap(2) < 19.5, `second restart should wait ~10s, waited ${gap(2)}s`);
    assert.ok(gap(3) >= 19.5 && gap(3) < 35, `third restart should wait ~20s, waited ${gap(3)}s`);
    assert.ok(gap(3) - gap(2) > 5, `the back-off should double: ${gap(2)}s then ${gap(3)}s`);
    const pod = await agent.pod('crash');
    assert.ok((containerStatus(pod, 'crasher')?.restartCount ?? 0) >= 3);
  });

  it('restartPolicy OnFailure: a container that succeeds is not restarted', async () => {
    agent.writeManifest('onfailure.yaml', podYaml('onfailure', `
  restartPolicy: OnFailure
  containers:
    - name: ok
      image: busybox:1.36
      command: ["sh", "-c", "exit 0"]
`));
    const pod = await agent.waitFor('onfailure Succeeded', async () => {
      const p = await agent.pod('onfailure');
      return p?.status?.phase === 'Succeeded' ? p : undefined;
    });
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal((await runtimeContainers('onfailure', 'ok')).length, 1, 'no second container was created');
    assert.equal(containerStatus(pod, 'ok')?.restartCount, 0);
  });

  it('restartPolicy Never: a failing container is not restarted and the pod Fails', async () => {
    agent.writeManifest('never.yaml', podYaml('never', `
  restartPolicy: Never
  containers:
    - name: fails
      image: busybox:1.36
      command: ["sh", "-c", "exit 7"]
`));
    const pod = await agent.waitFor('never Failed', async () => {
      const p = await agent.pod('never');
      return p?.status?.phase === 'Failed' ? p : undefined;
    });
    assert.equal(containerStatus(pod, 'fails')?.state?.terminated?.exitCode, 7);
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal((await runtimeContainers('never', 'fails')).length, 1);
  });

  it('init containers run in order before the app container', async () => {
    agent.writeManifest('init.yaml', podYaml('init', `
  initContainers:
    - name: first
      image: busybox:1.36
      command: ["sh", "-c", "sleep 1"]
    - name: second
      image: busybox:1.36
      command: ["sh", "-c", "sleep 1"]
  containers:
    - name: app
      image: busybox:1.36
      command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
`));
    await agent.waitFor('init Running', async () => (await agent.pod('init'))?.status?.phase === 'Running');
    const times = async (name: string) => {
      const [c] = await runtimeContainers('init', name);
      return agent.cri.containerStatus(c!.id);
    };
    const [first, second, app] = [await times('first'), await times('second'), await times('app')];
    assert.ok(second.startedAt >= first.finishedAt, 'second started after first finished');
    assert.ok(app.startedAt >= second.finishedAt, 'app started after second finished');
  });

  it('a failing init container holds the app back, and fails the pod under Never', async () => {
    agent.writeManifest('initfail.yaml', podYaml('initfail', `
  restartPolicy: Never
  initContainers:
    - name: broken
      image: busybox:1.36
      command: ["sh", "-c", "exit 2"]
  containers:
    - name: app
      image: busybox:1.36
      command: ["sleep", "3600"]
`));
    const pod = await agent.waitFor('initfail Failed', async () => {
      const p = await agent.pod('initfail');
      return p?.status?.phase === 'Failed' ? p : undefined;
    });
    assert.equal((await runtimeContainers('initfail', 'app')).length, 0, 'the app container was never created');
    assert.equal(containerStatus(pod, 'broken')?.state?.terminated?.exitCode, 2);
  });

  it('a sidecar (restartable init container) runs beside the app', async () => {
    agent.writeManifest('sidecar.yaml', podYaml('sidecar', `
  initContainers:
    - name: proxy
      image: busybox:1.36
      restartPolicy: Always
      command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
  containers:
    - name: app
      image: busybox:1.36
      command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
`));
    await agent.waitFor('sidecar and app both running', async () => {
      const proxy = (await runtimeContainers('sidecar', 'proxy')).some((c) => c.state === 'CONTAINER_RUNNING');
      const app = (await runtimeContainers('sidecar', 'app')).some((c) => c.state === 'CONTAINER_RUNNING');
      return proxy && app;
    });
    // The status lags the runtime by a relist and a sync: wait for it rather than read it once.
    await agent.waitFor('sidecar Running in /pods', async () => (await agent.pod('sidecar'))?.status?.phase === 'Running');
  });

  it('a broken manifest next to good ones is reported, and the good ones run', async () => {
    agent.writeManifest('broken.yaml', 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: Bad_Name\nspec:\n  containers: []\n');
    agent.writeManifest('good.yaml', sleeper('good'));
    await agent.waitFor('good Running', async () => (await agent.pod('good'))?.status?.phase === 'Running');
    const res = await fetch(`http://127.0.0.1:${agent.port}/manifests/errors`);
    const errors = JSON.stringify(await res.json());
    assert.match(errors, /broken\.yaml/);
    assert.match(errors, /metadata\.name/);
    assert.match(agent.output(), /broken\.yaml/);
  });

  it('a missing image shows ErrImagePull, then ImagePullBackOff, and recovers once the image is pushed', async () => {
    const repo = `library/e2e-late-${Math.random().toString(36).slice(2, 8)}`;
    agent.writeManifest('late.yaml', podYaml('late', `
  containers:
    - name: app
      image: ${repo.replace('library/', '')}:1
      command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
`));
    const waiting = async () => containerStatus(await agent.pod('late'), 'app')?.state?.waiting;
    // ErrImagePull lasts only until the back-off starts, so the message is taken from the same
    // read that saw the reason: a second read could already show ImagePullBackOff.
    const pulling = await agent.waitFor('ErrImagePull', async () => {
      const w = await waiting();
      return w?.reason === 'ErrImagePull' ? w : undefined;
    });
    assert.match(pulling.message!, /not found|failed to resolve|Failed to pull/i);
    await agent.waitFor('ImagePullBackOff', async () => (await waiting())?.reason === 'ImagePullBackOff', 40_000);
    await pushImage('busybox', `${repo}:1`);
    try {
      await agent.waitFor('late Running after the push', async () => (await agent.pod('late'))?.status?.phase === 'Running', 90_000);
    } finally {
      await deleteImage(`${repo}:1`).catch(() => undefined);
    }
  });

  it('activeDeadlineSeconds: the pod fails with DeadlineExceeded and its containers are stopped', async () => {
    agent.writeManifest('deadline.yaml', sleeper('deadline', '  activeDeadlineSeconds: 15\n  terminationGracePeriodSeconds: 2\n'));
    await agent.waitFor('deadline Running', async () => (await agent.pod('deadline'))?.status?.phase === 'Running');
    const pod = await agent.waitFor('deadline Failed', async () => {
      const p = await agent.pod('deadline');
      return p?.status?.phase === 'Failed' ? p : undefined;
    }, 60_000);
    assert.equal(pod.status?.reason, 'DeadlineExceeded');
    await agent.waitFor('no running container left', async () => (await runtimeContainers('deadline')).every((c) => c.state !== 'CONTAINER_RUNNING'), 20_000);
  });
});
