// Volumes end to end, checked from inside real containers: emptyDir (disk, tmpfs, shared, surviving restarts), hostPath types, subPath, downwardAPI, /etc/hosts.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CONTAINER_NAME_LABEL, POD_NAME_LABEL } from '../../src/runtime/labels.js';
import { managedHostsFileContent } from '../../src/volumes/hosts-file.js';
import { SystemMounter } from '../../src/volumes/mounter.js';
import { containerStatus, podYaml, startAgent, type Agent } from '../support/agent.js';

let agent: Agent;
let hostDir: string;
let server: Server;
const WAIT = 90_000;

before(async () => {
  agent = await startAgent({ name: 'volumes', extraArgs: ['--cluster-domain', 'cluster.local'] });
  hostDir = realpathSync(mkdtempSync(path.join(tmpdir(), 'mk-e2e-hostpath-')));
  mkdirSync(path.join(hostDir, 'dir'));
  writeFileSync(path.join(hostDir, 'file'), 'from the host\n');
  writeFileSync(path.join(hostDir, 'custom-hosts'), '10.7.7.7 custom\n');
  symlinkSync('/etc', path.join(hostDir, 'dir/escape'));
  server = createServer();
  await new Promise<void>((r) => server.listen(path.join(hostDir, 'sock'), r));
});
after(async () => {
  server?.close();
  if (agent) {
    // A tmpfs left by a failed test would keep the temp dir from being removed: unmount it first.
    await agent.stop('SIGKILL');
    const mounter = new SystemMounter();
    const root = existsSync(agent.rootDir) ? realpathSync(agent.rootDir) : agent.rootDir;
    for (const m of (await mounter.mountsUnder(root)).reverse()) await mounter.unmount(m.mountPoint).catch(() => undefined);
    await agent.cleanup();
  }
  if (hostDir) rmSync(hostDir, { recursive: true, force: true });
});

/** The newest running instance of a container, by CRI labels. */
async function running(pod: string, container: string) {
  const cs = await agent.cri.listContainers({
    labelSelector: { [POD_NAME_LABEL]: `${pod}-${agent.nodeName}`, [CONTAINER_NAME_LABEL]: container },
  });
  return cs.filter((c) => c.state === 'CONTAINER_RUNNING').sort((a, b) => b.metadata.attempt - a.metadata.attempt)[0];
}

/** Runs a command inside the container; returns stdout, or throws with stderr when it fails. */
async function exec(pod: string, container: string, script: string): Promise<string> {
  const c = await agent.waitFor(`${pod}/${container} running`, () => running(pod, container), WAIT);
  const r = await agent.cri.execSync(c.id, ['sh', '-c', script], 20);
  if (r.exitCode !== 0) throw new Error(`"${script}" exited ${r.exitCode}: ${r.stderr.toString()}${r.stdout.toString()}`);
  return r.stdout.toString();
}

const SLEEP = `["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]`;

describe('volumes', { concurrency: true }, () => {
  it('an emptyDir is shared by two containers and survives a container restart', async () => {
    agent.writeManifest('shared.yaml', podYaml('shared', `
  volumes:
    - name: data
      emptyDir: {}
  containers:
    - name: writer
      image: busybox:1.36
      command: ["sh", "-c", "if [ -f /data/first ]; then echo restarted >> /data/log; exec sleep 3600; fi; echo hello > /data/first; exit 3"]
      volumeMounts: [{ name: data, mountPath: /data }]
    - name: reader
      image: busybox:1.36
      command: ${SLEEP}
      volumeMounts: [{ name: data, mountPath: /shared }]
`));
    const pod = await agent.waitFor('writer restarted and running', async () => {
      const p = await agent.pod('shared');
      const s = containerStatus(p, 'writer');
      return s && s.restartCount >= 1 && s.state?.running ? p : undefined;
    }, WAIT);
    assert.equal(containerStatus(pod, 'writer')?.lastState?.terminated?.exitCode, 3);
    // Running comes before the restarted writer's echo lands: wait until /shared/log has something.
    const both = await agent.waitFor('the restarted writer wrote /shared/log', () => exec('shared', 'reader', 'test -s /shared/log && cat /shared/first /shared/log'), 30_000);
    assert.equal(both, 'hello\nrestarted\n');
  });

  it('a Memory emptyDir is a tmpfs of sizeLimit, unmounted and removed with the pod', async () => {
    agent.writeManifest('ram.yaml', podYaml('ram', `
  terminationGracePeriodSeconds: 2
  volumes:
    - name: cache
      emptyDir: { medium: Memory, sizeLimit: 32Mi }
  containers:
    - name: main
      image: busybox:1.36
      command: ${SLEEP}
      volumeMounts: [{ name: cache, mountPath: /cache }]
`));
    const line = await exec('ram', 'main', 'grep " /cache " /proc/mounts');
    assert.match(line, /^tmpfs \/cache tmpfs \S*size=32768k/);
    const uid = (await agent.pod('ram'))!.metadata!.uid!;
    const podDir = path.join(realpathSync(agent.rootDir), 'pods', uid);
    const mounter = new SystemMounter();
    assert.equal((await mounter.mountsUnder(podDir)).filter((m) => m.fsType === 'tmpfs').length, 1);

    agent.removeManifest('ram.yaml');
    await agent.waitFor('ram pod directory removed', () => !existsSync(podDir), WAIT);
    assert.deepEqual(await mounter.mountsUnder(podDir), []);
  });

  it('a pod directory no pod owns (left while the agent was down) is unmounted and removed by housekeeping', async () => {
    agent.writeManifest('keeper.yaml', podYaml('keeper', `
  terminationGracePeriodSeconds: 1
  containers:
    - name: main
      image: busybox:1.36
      command: ${SLEEP}
`));
    await exec('keeper', 'main', 'true');
    const root = realpathSync(agent.rootDir);
    const keeperDir = path.join(root, 'pods', (await agent.pod('keeper'))!.metadata!.uid!);
    // What a pod removed while the agent was down leaves: its directory with a tmpfs emptyDir in it.
    const strayDir = path.join(root, 'pods', '0f0e0d0c-0b0a-4909-8807-060504030201');
    const volume = path.join(strayDir, 'volumes', 'kubernetes.io~empty-dir', 'cache');
    mkdirSync(volume, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', volume]);
    writeFileSync(path.join(volume, 'left-behind'), 'x');
    const mounter = new SystemMounter();
    await agent.waitFor('the stray pod directory to be removed', () => !existsSync(strayDir), 20_000);
    assert.deepEqual(await mounter.mountsUnder(strayDir), [], 'its tmpfs was unmounted first');
    assert.ok(existsSync(keeperDir), 'a running pod keeps its directory');
    // The agent's logger writes asynchronously: the line may come just after the effect.
    await agent.waitFor('the removal in the agent log', () => /removed orphaned pod directory/.test(agent.output()), 10_000);
    agent.removeManifest('keeper.yaml');
  });

  it('hostPath: every type is checked, *OrCreate creates, and the container sees the host objects', async () => {
    agent.writeManifest('hostpaths.yaml', podYaml('hostpaths', `
  volumes:
    - { name: d, hostPath: { path: ${hostDir}/dir, type: Directory } }
    - { name: f, hostPath: { path: ${hostDir}/file, type: File } }
    - { name: s, hostPath: { path: ${hostDir}/sock, type: Socket } }
    - { name: c, hostPath: { path: /dev/null, type: CharDevice } }
    - { name: dc, hostPath: { path: ${hostDir}/made/dir, type: DirectoryOrCreate } }
    - { name: fc, hostPath: { path: ${hostDir}/made-file, type: FileOrCreate } }
    - { name: any, hostPath: { path: ${hostDir}/dir } }
  containers:
    - name: main
      image: busybox:1.36
      command: ${SLEEP}
      volumeMounts:
        - { name: d, mountPath: /d }
        - { name: f, mountPath: /f, readOnly: true }
        - { name: s, mountPath: /s }
        - { name: c, mountPath: /c }
        - { name: dc, mountPath: /dc }
        - { name: fc, mountPath: /fc }
        - { name: any, mountPath: /any }
`));
    const out = await exec('hostpaths', 'main', 'test -d /d && test -S /s && test -c /c && test -d /dc && test -f /fc && cat /f && ! touch /f 2>/dev/null && echo ok');
    assert.equal(out, 'from the host\nok\n');
    await exec('hostpaths', 'main', 'echo written > /dc/x');
    assert.equal(readFileSync(path.join(hostDir, 'made/dir/x'), 'utf8'), 'written\n');
    assert.equal(readFileSync(path.join(hostDir, 'made-file'), 'utf8'), '');
  });

  it('hostPath of the wrong type keeps the pod from starting, with the reason on the pod and in the log', async () => {
    agent.writeManifest('wrongtype.yaml', podYaml('wrongtype', `
  volumes:
    - { name: d, hostPath: { path: ${hostDir}/file, type: Directory } }
  containers:
    - name: main
      image: busybox:1.36
      command: ${SLEEP}
      volumeMounts: [{ name: d, mountPath: /d }]
`));
    const want = `MountVolume.SetUp failed for volume "d" : hostPath type check failed: ${hostDir}/file is not a directory, it's a File`;
    const waiting = await agent.waitFor('wrongtype waiting with the mount error', async () => {
      const w = containerStatus(await agent.pod('wrongtype'), 'main')?.state?.waiting;
      return w?.message ? w : undefined;
    }, WAIT);
    assert.equal(waiting.reason, 'ContainerCreating');
    assert.equal(waiting.message, want);
    assert.equal((await agent.pod('wrongtype'))?.status?.phase, 'Pending');
    // The log is JSON: the message appears string-escaped. The logger is asynchronous: wait for the line.
    await agent.waitFor('the agent log names the failed check', () => agent.output().includes(JSON.stringify(want).slice(1, -1)), 10_000);
    assert.equal(await running('wrongtype', 'main'), undefined);
  });

  it('subPath and subPathExpr mount a directory of the volume; a subPath leaving the volume is refused', async () => {
    agent.writeManifest('subpath.yaml', podYaml('subpath', `
  volumes:
    - name: data
      emptyDir: {}
  containers:
    - name: part
      image: busybox:1.36
      command: ["sh", "-c", "echo part > /part/x; echo expr > /expr/y; trap 'exit 0' TERM; sleep 3600 & wait"]
      env: [{ name: POD, valueFrom: { fieldRef: { fieldPath: metadata.name } } }]
      volumeMounts:
        - { name: data, mountPath: /part, subPath: some/dir }
        - { name: data, mountPath: /expr, subPathExpr: "by-pod/$(POD)" }
    - name: whole
      image: busybox:1.36
      command: ${SLEEP}
      volumeMounts: [{ name: data, mountPath: /all }]
`));
    await agent.waitFor('part wrote its files', async () => (await exec('subpath', 'whole', 'ls /all/some/dir')).includes('x'), WAIT);
    const name = `subpath-${agent.nodeName}`;
    assert.equal(await exec('subpath', 'whole', `cat /all/some/dir/x /all/by-pod/${name}/y`), 'part\nexpr\n');
    assert.equal(await exec('subpath', 'part', 'ls /part'), 'x\n');

    agent.writeManifest('escape.yaml', podYaml('escape', `
  volumes:
    - { name: h, hostPath: { path: ${hostDir}/dir } }
  containers:
    - name: main
      image: busybox:1.36
      command: ${SLEEP}
      volumeMounts: [{ name: h, mountPath: /etc-from-host, subPath: escape }]
`));
    const waiting = await agent.waitFor('escape refused', async () => {
      const w = containerStatus(await agent.pod('escape'), 'main')?.state?.waiting;
      return w?.reason === 'CreateContainerConfigError' ? w : undefined;
    }, WAIT);
    assert.match(waiting.message ?? '', /failed to prepare subPath for volumeMount "h" of container "main": subPath "escape" resolves outside the volume/);
  });

  it('downwardAPI and projected volumes: file contents and modes, mounted read-only', async () => {
    agent.writeManifest('info.yaml', `apiVersion: v1
kind: Pod
metadata:
  name: info
  labels: { tier: front, app: web }
  annotations: { note: "say hi" }
spec:
  volumes:
    - name: info
      downwardAPI:
        defaultMode: 0440
        items:
          - { path: labels, fieldRef: { fieldPath: metadata.labels } }
          - { path: annotations, fieldRef: { fieldPath: metadata.annotations } }
          - { path: name, fieldRef: { fieldPath: metadata.name }, mode: 0400 }
          - { path: meta/namespace, fieldRef: { fieldPath: metadata.namespace } }
          - { path: uid, fieldRef: { fieldPath: metadata.uid } }
          - { path: tier, fieldRef: { fieldPath: "metadata.labels['tier']" } }
          - { path: cpu_limit, resourceFieldRef: { containerName: main, resource: limits.cpu, divisor: 1m } }
          - { path: mem_request, resourceFieldRef: { containerName: main, resource: requests.memory, divisor: 1Mi } }
    - name: proj
      projected:
        defaultMode: 0600
        sources:
          - downwardAPI: { items: [{ path: podname, fieldRef: { fieldPath: metadata.name } }] }
  containers:
    - name: main
      image: busybox:1.36
      command: ${SLEEP}
      resources:
        requests: { cpu: 250m, memory: 32Mi }
        limits: { cpu: 500m, memory: 64Mi }
      volumeMounts:
        - { name: info, mountPath: /etc/podinfo }
        - { name: proj, mountPath: /etc/proj }
`);
    const meta = await agent.waitFor('info is known', async () => (await agent.pod('info'))?.metadata, WAIT);
    // A static pod also carries the kubernetes.io/config.* annotations: all of them, sorted, as key="value".
    const annotations = Object.keys(meta.annotations ?? {}).sort().map((k) => `${k}=${JSON.stringify(meta.annotations![k])}`).join('\n');
    assert.match(annotations, /^kubernetes\.io\/config\.hash=.*\nnote="say hi"$/s);
    const files = ['labels', 'annotations', 'name', 'meta/namespace', 'uid', 'tier', 'cpu_limit', 'mem_request'];
    const out = await exec('info', 'main', files.map((f) => `cat /etc/podinfo/${f}; echo`).join('; '));
    assert.equal(out, [
      'app="web"\ntier="front"', annotations, `info-${agent.nodeName}`, 'default', meta.uid, 'front', '500', '32',
    ].join('\n') + '\n');
    assert.equal(await exec('info', 'main', 'stat -L -c %a /etc/podinfo/labels /etc/podinfo/name /etc/podinfo/meta/namespace /etc/proj/podname'), '440\n400\n440\n600\n');
    assert.equal(await exec('info', 'main', 'cat /etc/proj/podname'), `info-${agent.nodeName}`);
    assert.equal(await exec('info', 'main', 'readlink /etc/podinfo/labels; touch /etc/podinfo/x 2>/dev/null || echo read-only'), '..data/labels\nread-only\n');
  });

  it('fsGroup: the emptyDir belongs to the group with setgid, and a non-root user writes there with it', async () => {
    agent.writeManifest('fsgroup.yaml', podYaml('fsgroup', `
  securityContext: { runAsUser: 1000, runAsGroup: 1000, fsGroup: 2000 }
  volumes:
    - name: data
      emptyDir: {}
  containers:
    - name: main
      image: busybox:1.36
      command: ${SLEEP}
      volumeMounts: [{ name: data, mountPath: /data }]
`));
    assert.equal(await exec('fsgroup', 'main', 'stat -c "%g %a" /data; touch /data/f; stat -c "%u %g" /data/f'), '2000 2777\n1000 2000\n');
  });

  it('/etc/hosts: localhost lines, the pod IP with hostname.subdomain.ns.svc.<cluster-domain>, and hostAliases', async () => {
    agent.writeManifest('hosts.yaml', podYaml('hosts', `
  hostname: web-0
  subdomain: sub
  hostAliases:
    - { ip: 10.1.2.3, hostnames: [foo.local, bar.local] }
  containers:
    - name: main
      image: busybox:1.36
      command: ${SLEEP}
    - name: own
      image: busybox:1.36
      command: ${SLEEP}
      volumeMounts: [{ name: mine, mountPath: /etc/hosts }]
  volumes:
    - { name: mine, hostPath: { path: ${hostDir}/custom-hosts, type: File } }
`));
    const podIP = await agent.waitFor('hosts has a pod IP', async () => (await agent.pod('hosts'))?.status?.podIP, WAIT);
    const want = managedHostsFileContent([podIP], 'web-0', 'sub.default.svc.cluster.local', [{ ip: '10.1.2.3', hostnames: ['foo.local', 'bar.local'] }]);
    assert.match(want, /\tweb-0\.sub\.default\.svc\.cluster\.local\tweb-0\n\n# Entries added by HostAliases\.\n10\.1\.2\.3\tfoo\.local\tbar\.local\n$/);
    assert.equal(await exec('hosts', 'main', 'cat /etc/hosts'), want);
    // A container that mounts its own /etc/hosts keeps it.
    assert.equal(await exec('hosts', 'own', 'cat /etc/hosts'), '10.7.7.7 custom\n');
  });

  it('/etc/hosts of a hostNetwork pod: the node file under the host-network header, plus hostAliases', async () => {
    agent.writeManifest('hostnet.yaml', podYaml('hostnet', `
  hostNetwork: true
  hostAliases:
    - { ip: 10.9.9.9, hostnames: [alias.local] }
  containers:
    - name: main
      image: busybox:1.36
      command: ${SLEEP}
`));
    const want = `# Kubernetes-managed hosts file (host network).\n${readFileSync('/etc/hosts', 'utf8')}\n# Entries added by HostAliases.\n10.9.9.9\talias.local\n`;
    assert.equal(await exec('hostnet', 'main', 'cat /etc/hosts'), want);
  });
});
