// Helpers for e2e tests that check things from inside a pod's containers: wait for a running container, exec in it, read /proc.
import assert from 'node:assert/strict';
import { CONTAINER_NAME_LABEL, POD_NAME_LABEL } from '../../src/runtime/labels.js';
import { containerStatus, podYaml, type Agent } from './agent.js';

/** A container command that sleeps and stops at once on SIGTERM (YAML flow sequence). */
export const SLEEP = '["sh", "-c", "trap \'exit 0\' TERM; sleep 3600 & wait"]';

/** The id of the pod's running container, once there is one. */
export async function running(a: Agent, pod: string, container = 'main', timeoutMs = 90_000): Promise<string> {
  return a.waitFor(`${pod}/${container} running`, async () => {
    const cs = await a.cri.listContainers({ labelSelector: { [POD_NAME_LABEL]: `${pod}-${a.nodeName}`, [CONTAINER_NAME_LABEL]: container } });
    return cs.find((c) => c.state === 'CONTAINER_RUNNING')?.id;
  }, timeoutMs);
}

/** Runs a command inside the container and returns its stdout; fails on a non-zero exit. */
export async function exec(a: Agent, id: string, cmd: string[]): Promise<string> {
  const r = await a.cri.execSync(id, cmd, 20);
  assert.equal(r.exitCode, 0, `${cmd.join(' ')} exited ${r.exitCode}: ${r.stderr.toString()}`);
  return r.stdout.toString();
}

/** Writes the pod's manifest and returns the id of its running container. */
export async function deploy(a: Agent, name: string, body: string, container = 'main'): Promise<string> {
  a.writeManifest(`${name}.yaml`, podYaml(name, body));
  return running(a, name, container);
}

/** The waiting state of a container that settles in CreateContainerConfigError (reason and message). */
export async function configError(a: Agent, pod: string, container = 'main') {
  return a.waitFor(`${pod}/${container} waiting with a config error`, async () => {
    const w = containerStatus(await a.pod(pod), container)?.state?.waiting;
    return w?.reason === 'CreateContainerConfigError' ? w : undefined;
  });
}

/** One field of a /proc/<pid>/status text ("CapEff", "NoNewPrivs", "Seccomp", ...). */
export const procStatus = (status: string, field: string): string => new RegExp(`^${field}:\\s*(.*)$`, 'm').exec(status)?.[1] ?? '';
