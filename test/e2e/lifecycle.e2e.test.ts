// Lifecycle hooks end to end on the real containerd: preStop before the stop and inside the grace period, postStart success and failure.
import type { V1Pod } from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { containerStatus, podYaml, startAgent, type Agent } from '../support/agent.js';

let agent: Agent;

before(async () => {
  agent = await startAgent({ name: 'lifecycle' });
});
after(async () => {
  await agent?.cleanup();
});

/** A host directory for the pod's markers; the file's mtime is when the container wrote it. */
function markerDir(name: string): { dir: string; mtime: (file: string) => number | undefined } {
  const dir = path.join(path.dirname(agent.rootDir), `markers-${name}`);
  mkdirSync(dir, { recursive: true });
  return { dir, mtime: (file) => (existsSync(path.join(dir, file)) ? statSync(path.join(dir, file)).mtimeMs : undefined) };
}

// PID 1 needs a TERM handler to stop at once; the handler leaves a marker of when TERM came.
const APP = `["sh", "-c", "trap 'touch /marker/term; exit 0' TERM; while :; do sleep 1 & wait; done"]`;

describe('lifecycle hooks', { concurrency: true, timeout: 180_000 }, () => {
  it('preStop runs before the container is stopped, and its time comes out of the grace period', async () => {
    const m = markerDir('prestop');
    agent.writeManifest('prestop.yaml', podYaml('prestop', `
  terminationGracePeriodSeconds: 10
  volumes:
    - name: marker
      hostPath:
        path: ${m.dir}
        type: DirectoryOrCreate
  containers:
    - name: app
      image: busybox:1.36
      command: ${APP}
      volumeMounts:
        - name: marker
          mountPath: /marker
      lifecycle:
        preStop:
          exec:
            command: ["sh", "-c", "touch /marker/prestop-start; sleep 2; touch /marker/prestop-end"]
`));
    await agent.waitPod('prestop', 'running', (p) => !!containerStatus(p, 'app')?.state?.running);
    const removedAt = Date.now();
    agent.removeManifest('prestop.yaml');
    const term = await agent.waitFor('the TERM marker', () => m.mtime('term'), 30_000);
    const start = m.mtime('prestop-start');
    const end = m.mtime('prestop-end');
    assert.ok(start !== undefined && end !== undefined, 'preStop ran to its end');
    assert.ok(start >= removedAt - 50, 'preStop started after the pod was removed');
    assert.ok(end - start >= 1900, 'the hook really slept');
    assert.ok(term >= end, `SIGTERM (${term}) came after preStop finished (${end})`);
    assert.ok(term - removedAt < 10_000, `stopped inside the grace period (${term - removedAt} ms)`);
  });

  it('a preStop longer than the grace period is cut off, and the container still gets the 2s minimum', async () => {
    const m = markerDir('prestop-long');
    agent.writeManifest('prestop-long.yaml', podYaml('prestop-long', `
  terminationGracePeriodSeconds: 3
  volumes:
    - name: marker
      hostPath:
        path: ${m.dir}
        type: DirectoryOrCreate
  containers:
    - name: app
      image: busybox:1.36
      command: ${APP}
      volumeMounts:
        - name: marker
          mountPath: /marker
      lifecycle:
        preStop:
          sleep:
            seconds: 60
`));
    await agent.waitPod('prestop-long', 'running', (p) => !!containerStatus(p, 'app')?.state?.running);
    const removedAt = Date.now();
    agent.removeManifest('prestop-long.yaml');
    const term = await agent.waitFor('the TERM marker', () => m.mtime('term'), 30_000);
    const took = term - removedAt;
    assert.ok(took >= 2900, `TERM waited for the grace period spent in preStop (${took} ms)`);
    // Far under the 60 s hook; the rest is slack for a loaded machine past grace (3 s) + minimum (2 s).
    assert.ok(took < 13_000, `but not for the 60s hook (${took} ms)`);
  });

  it('postStart runs after the start', async () => {
    const m = markerDir('poststart');
    agent.writeManifest('poststart.yaml', podYaml('poststart', `
  terminationGracePeriodSeconds: 1
  volumes:
    - name: marker
      hostPath:
        path: ${m.dir}
        type: DirectoryOrCreate
  containers:
    - name: app
      image: busybox:1.36
      command: ["sh", "-c", "trap 'exit 0' TERM; touch /marker/main; while :; do sleep 1 & wait; done"]
      volumeMounts:
        - name: marker
          mountPath: /marker
      lifecycle:
        postStart:
          exec:
            command: ["touch", "/marker/poststart"]
`));
    const pod = await agent.waitPod('poststart', 'running', (p) => !!containerStatus(p, 'app')?.state?.running);
    await agent.waitFor('the postStart marker', () => m.mtime('poststart'), 30_000);
    assert.equal(containerStatus(pod, 'app')?.restartCount, 0);
    assert.ok(!(await agent.events('poststart')).some((e) => e.reason === 'FailedPostStartHook'));
  });

  it('a failing postStart kills the container, with the hook output in the message', async () => {
    agent.writeManifest('postfail.yaml', podYaml('postfail', `
  terminationGracePeriodSeconds: 2
  containers:
    - name: app
      image: busybox:1.36
      command: ${APP.replace('touch /marker/term; ', '')}
      lifecycle:
        postStart:
          exec:
            command: ["sh", "-c", "echo hook-broke; exit 1"]
`));
    const failed = await agent.waitFor('a FailedPostStartHook event', async () => (await agent.events('postfail')).find((e) => e.reason === 'FailedPostStartHook'));
    assert.equal(failed.type, 'Warning');
    // The kubelet's text for a failed exec hook, with its output. It is the waiting message
    // (PostStartHookError); this agent also puts it in the event.
    const formatted =
      /^Exec lifecycle hook \(\[sh -c echo hook-broke; exit 1\]\) for Container "app" in Pod "postfail-[^"]+_default\([0-9a-f-]+\)" failed - error: command 'sh -c echo hook-broke; exit 1' exited with 1: , message: "hook-broke\\n"$/;
    await agent.waitFor('the formatted hook failure', async () => {
      if (formatted.test(failed.message)) return true;
      const waiting = containerStatus(await agent.pod('postfail'), 'app')?.state?.waiting;
      return waiting?.reason === 'PostStartHookError' && formatted.test(waiting.message ?? '');
    }, 30_000);
    const pod = await agent.waitPod('postfail', 'killed and restarted', (p) => (containerStatus(p, 'app')?.restartCount ?? 0) >= 1, 60_000);
    const cs = containerStatus(pod, 'app');
    assert.ok(cs?.lastState?.terminated || cs?.state?.terminated, 'the killed instance is terminated');
    assert.notEqual(cs?.ready, true);
  });
});
