// Runs a real mini-kubelet process for e2e tests: temp dirs, a unique node name, its /pods view, and clean-up of what it made.
import type { V1Pod } from '@kubernetes/client-node';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, realpathSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCriClient, type CriClient } from '../../src/cri/client.js';
import { ownershipSelector } from '../../src/runtime/labels.js';
import { SystemMounter } from '../../src/volumes/mounter.js';
import { ensureRuntime } from './runtime.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/**
 * The command as users run it: the bin on the compiled dist/ (scripts/test.sh builds first). The
 * bin refuses a build older than any source, so a test can never run stale code.
 */
export const MINI_KUBELET_BIN = path.join(REPO, 'bin/mini-kubelet.js');

/** The fields of a core/v1 Event the tests look at. */
export interface CoreEvent {
  type: string;
  reason: string;
  message: string;
  count: number;
  involvedObject: { fieldPath?: string };
}

export interface Agent {
  nodeName: string;
  manifestDir: string;
  podLogsDir: string;
  rootDir: string;
  port: number;
  /** The node API's HTTPS port (--port). */
  apiPort: number;
  /** --cert-dir (<root-dir>/pki): kubelet.crt and the local CLI's local-client.crt/.key. */
  certDir: string;
  endpoint: string;
  cri: CriClient;
  /** Everything the agent wrote to stderr so far. */
  output(): string;
  /** The agent process's id while it runs (for /proc/<pid>/status). */
  pid(): number | undefined;
  writeManifest(file: string, content: string): void;
  removeManifest(file: string): void;
  pods(): Promise<V1Pod[]>;
  pod(name: string): Promise<V1Pod | undefined>;
  /** Polls until the pod `name` exists and passes `check`. */
  waitPod(name: string, what: string, check: (p: V1Pod) => boolean, timeoutMs?: number): Promise<V1Pod>;
  /** The pod's events, as the agent serves them (core/v1 Events, oldest first). */
  events(name: string): Promise<CoreEvent[]>;
  /** Polls until fn returns a truthy value, or fails with `what` and the agent's last log lines. */
  waitFor<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs?: number): Promise<T>;
  /** Stops the process (SIGTERM by default; SIGKILL to simulate a crash). Pods stay in the runtime. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts the process again with the same dirs and node name. */
  restart(): Promise<void>;
  /** Stops the agent, removes every sandbox it owns from the runtime, and deletes the temp dirs. */
  cleanup(): Promise<void>;
}

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/**
 * `endpoint` points the agent at another runtime than the shared dev one (a test that stops its runtime).
 * `kubeletConfig` gives the text of a --config file (written next to the manifest dir, given its path and
 * port): the agent then gets --config instead of --pod-manifest-path and --read-only-port.
 * `logFile` sends the agent's stderr to that file in its manifest directory (as a user who
 * redirects the log there by mistake) instead of to the test; output() then reads the file.
 */
export async function startAgent(opts: {
  name: string;
  /** More flags; a function gets the node name first (to mint a --kubeconfig for it, say). */
  extraArgs?: string[] | ((nodeName: string) => string[] | Promise<string[]>);
  endpoint?: string;
  kubeletConfig?: (dirs: { manifestDir: string; port: number }) => string;
  logFile?: string;
}): Promise<Agent> {
  const endpoint = opts.endpoint ?? (await ensureRuntime()).endpoint;
  const base = mkdtempSync(path.join(tmpdir(), `mk-e2e-${opts.name}-`));
  const manifestDir = path.join(base, 'manifests');
  const podLogsDir = path.join(base, 'pods-logs');
  const rootDir = path.join(base, 'root');
  mkdirSync(manifestDir, { recursive: true });
  const nodeName = `e2e-${opts.name}-${Math.random().toString(36).slice(2, 8)}`;
  const port = await freePort();
  const apiPort = await freePort();
  const cri = createCriClient({ runtimeEndpoint: endpoint, timeoutMs: 30_000 });
  let child: ChildProcess | undefined;
  let log = '';
  const configFile = path.join(base, 'config.yaml');
  if (opts.kubeletConfig) writeFileSync(configFile, opts.kubeletConfig({ manifestDir, port }));
  const sourceAndPort = opts.kubeletConfig ? ['--config', configFile] : ['--pod-manifest-path', manifestDir, '--read-only-port', String(port)];
  const extraArgs = typeof opts.extraArgs === 'function' ? await opts.extraArgs(nodeName) : opts.extraArgs ?? [];

  const launch = async () => {
    const args = [
      ...sourceAndPort,
      '--container-runtime-endpoint', endpoint,
      '--hostname-override', nodeName,
      '--pod-logs-dir', podLogsDir,
      '--root-dir', rootDir,
      '--file-check-frequency', '2s',
      '--log-format', 'json',
      '--log-level', 'debug',
      // Never the default 10250: agents of other tests (and other checkouts) run at the same time.
      '--port', String(apiPort),
      ...extraArgs,
    ];
    const logFd = opts.logFile ? openSync(path.join(manifestDir, opts.logFile), 'a') : undefined;
    // The bin itself, as users run it: its first line carries node's memory flags (bin/mini-kubelet.js).
    child = spawn(MINI_KUBELET_BIN, args, { cwd: REPO, stdio: ['ignore', 'ignore', logFd ?? 'pipe'] });
    if (logFd !== undefined) closeSync(logFd);
    child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
    const started = Date.now();
    // Generous: on a loaded machine, node alone can take many seconds to start.
    while (Date.now() - started < 90_000) {
      if (child.exitCode !== null) throw new Error(`agent exited with ${child.exitCode}:\n${agent.output().slice(-3000)}`);
      try {
        const res = await fetch(`http://127.0.0.1:${port}/healthz`);
        if (res.status === 200) return;
      } catch {
        /* not listening yet */
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`agent did not become healthy in 90s:\n${agent.output().slice(-3000)}`);
  };

  const agent: Agent = {
    nodeName,
    manifestDir,
    podLogsDir,
    rootDir,
    port,
    apiPort,
    certDir: path.join(rootDir, 'pki'),
    endpoint,
    cri,
    output: () => (opts.logFile ? readFileSync(path.join(manifestDir, opts.logFile), 'utf8') : log),
    pid: () => (child && child.exitCode === null && child.signalCode === null ? child.pid : undefined),
    writeManifest: (file, content) => writeFileSync(path.join(manifestDir, file), content),
    removeManifest: (file) => unlinkSync(path.join(manifestDir, file)),
    async pods() {
      const res = await fetch(`http://127.0.0.1:${port}/pods`);
      const list = (await res.json()) as { items: V1Pod[] };
      return list.items;
    },
    async pod(name) {
      return (await agent.pods()).find((p) => p.metadata?.name === `${name}-${nodeName}` || p.metadata?.name === name);
    },
    waitPod(name, what, check, timeoutMs = 60_000) {
      return agent.waitFor(`${name}: ${what}`, async () => {
        const p = await agent.pod(name);
        return p && check(p) ? p : undefined;
      }, timeoutMs);
    },
    async events(name) {
      const res = await fetch(`http://127.0.0.1:${port}/pods/default/${name}-${nodeName}/events`);
      return res.ok ? ((await res.json()) as { items: CoreEvent[] }).items : [];
    },
    async waitFor(what, fn, timeoutMs = 60_000) {
      const started = Date.now();
      let lastErr: unknown;
      while (Date.now() - started < timeoutMs) {
        try {
          const v = await fn();
          if (v) return v as never;
        } catch (err) {
          lastErr = err;
        }
        await new Promise((r) => setTimeout(r, 250));
      }
      const tail = agent.output().split('\n').slice(-40).join('\n');
      throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}${lastErr ? ` (last error: ${lastErr})` : ''}\nagent log tail:\n${tail}`);
    },
    async stop(signal = 'SIGTERM') {
      // A process killed by a signal has exitCode null and signalCode set: it is gone too, and its exit has fired.
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const c = child;
      const exited = new Promise((r) => c.once('exit', r));
      c.kill(signal);
      await exited;
    },
    async restart() {
      await agent.stop();
      await launch();
    },
    async cleanup() {
      await agent.stop('SIGKILL');
      const selector = ownershipSelector(nodeName);
      for (const sb of await cri.listPodSandbox({ labelSelector: selector }).catch(() => [])) {
        await cri.stopPodSandbox(sb.id).catch(() => undefined);
        await cri.removePodSandbox(sb.id).catch(() => undefined);
      }
      cri.close();
      await unmountUnder(base);
      rmSync(base, { recursive: true, force: true });
    },
  };
  await launch();
  return agent;
}

/**
 * Unmounts every mount under dir, deepest first: a killed (or Ctrl-C'd) agent leaves its pods'
 * tmpfs volumes (Memory emptyDir, secret, projected) mounted, and rm would fail with EBUSY.
 */
export async function unmountUnder(dir: string): Promise<void> {
  const mounter = new SystemMounter();
  const mounts = await mounter.mountsUnder(realpathSync(dir)).catch(() => []);
  for (const m of mounts.sort((x, y) => y.mountPoint.length - x.mountPoint.length)) await mounter.unmount(m.mountPoint).catch(() => undefined);
}

/** The pod's container statuses by name. */
export function containerStatus(pod: V1Pod | undefined, name: string) {
  return [...(pod?.status?.containerStatuses ?? []), ...(pod?.status?.initContainerStatuses ?? [])].find((c) => c.name === name);
}

/** A minimal pod manifest in YAML. */
export function podYaml(name: string, body: string): string {
  return `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\nspec:\n${body.replace(/^\n/, '')}`;
}
