// The local control plane for cluster e2e tests: `clusterTest` runs a test against it (started or reused by scripts/cluster/up.sh), or says once why there is none.
import { CoreV1Api, KubeConfig, type V1ConfigMap, type V1Node, type V1ServiceAccount } from '@kubernetes/client-node';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { REPO_DIR } from './runtime.js';

const SCRIPTS = path.join(REPO_DIR, 'scripts/cluster');

export interface KubectlResult { code: number; stdout: string; stderr: string }

export interface Cluster {
  dir: string;
  adminKubeconfig: string;
  /** The loopback ports up.sh picked for this cluster dir (ETCD_PORT, APISERVER_PORT, ...). */
  ports: Record<string, number>;
  /** The admin's client-node config and core API. */
  kubeConfig: KubeConfig;
  core: CoreV1Api;
  /** Runs kubectl (as the admin unless `kubeconfig` is given); never throws on a non-zero exit. */
  kubectl(args: string[], opts?: { kubeconfig?: string; input?: string }): Promise<KubectlResult>;
  /** A kubeconfig for node `name` (CN system:node:<name>, O system:nodes), from node-credentials.sh; removed after the test. */
  mintNodeKubeconfig(t: TestContext, name: string): Promise<string>;
  /** A kubeconfig holding a fresh bootstrap token, from bootstrap-token.sh; token and file removed after the test. */
  mintBootstrapKubeconfig(t: TestContext, ttl?: string): Promise<string>;
  /** Creates a namespace with a unique name starting with `prefix`; it is deleted after the test. */
  namespace(t: TestContext, prefix: string): Promise<string>;
  waitFor<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs?: number): Promise<T>;
  /** Waits until the controller manager has made ServiceAccount `name` in `namespace`. */
  waitForServiceAccount(namespace: string, name?: string, timeoutMs?: number): Promise<V1ServiceAccount>;
  waitForConfigMap(namespace: string, name: string, timeoutMs?: number): Promise<V1ConfigMap>;
  /** Waits until Node `name` (registered by its agent) has the condition Ready=True. */
  waitForNodeReady(name: string, timeoutMs?: number): Promise<V1Node>;
}

/** `prefix-xxxxxx`: a DNS-1123 name no other test (or earlier run) uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Math.random().toString(36).slice(2, 8)}`;
}

function run(file: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<KubectlResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, { env: opts.env ?? process.env, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(err);
      resolve({ code: typeof err?.code === 'number' ? err.code : 0, stdout, stderr });
    });
    child.stdin?.end(opts.input ?? '');
  });
}

/** Runs a script of scripts/cluster; its last stdout line is the answer. Throws with its stderr on failure. */
async function script(name: string, args: string[] = []): Promise<string> {
  const res = await run('bash', [path.join(SCRIPTS, name), ...args]);
  if (res.code !== 0) throw new Error(`scripts/cluster/${name} exited with ${res.code}:\n${res.stderr.slice(-3000)}`);
  return res.stdout.trim().split('\n').at(-1) ?? '';
}

/** Runs up.sh as a user would: its admin kubeconfig, its stderr (progress) and how long it took. */
export async function runClusterUp(): Promise<{ kubeconfig: string; stderr: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [path.join(SCRIPTS, 'up.sh')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const m = /^KUBECONFIG=(\/.+)$/.exec(out.trim().split('\n').at(-1) ?? '');
      if (code === 0 && m) resolve({ kubeconfig: m[1], stderr: err, ms: Date.now() - started });
      else reject(new Error(`scripts/cluster/up.sh exited with ${code}, last stdout line ${JSON.stringify(out.trim().split('\n').at(-1))}:\n${err.slice(-3000)}`));
    });
  });
}

let checked: { kubectl: string } | { skip: string } | undefined;
/** up.sh --check, once per process: the kubectl to use, or why the cluster tests cannot run. */
function check(): { kubectl: string } | { skip: string } {
  if (checked) return checked;
  try {
    const out = execFileSync('bash', [path.join(SCRIPTS, 'up.sh'), '--check'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    checked = { kubectl: /^KUBECTL=(.+)$/m.exec(out)![1] };
  } catch (err) {
    const line = String((err as { stdout?: string }).stdout ?? err).trim().split('\n')[0];
    checked = { skip: `cluster e2e skipped: ${line}` };
  }
  return checked;
}

let started: Promise<Cluster> | undefined;
/** The cluster, started (or reused) by up.sh once per process. */
export function ensureCluster(): Promise<Cluster> {
  const c = check();
  if ('skip' in c) return Promise.reject(new Error(c.skip));
  started ??= runClusterUp().then(({ kubeconfig }) => makeCluster(kubeconfig, c.kubectl));
  started.catch(() => (started = undefined)); // a failed start may be retried by the next test
  return started;
}

function makeCluster(adminKubeconfig: string, kubectlBin: string): Cluster {
  const dir = path.dirname(path.dirname(adminKubeconfig));
  const ports = Object.fromEntries(readFileSync(path.join(dir, 'ports'), 'utf8').trim().split('\n').map((l) => {
    const [k, v] = l.split('=');
    return [k, Number(v)];
  }));
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(adminKubeconfig);
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const cluster: Cluster = {
    dir, adminKubeconfig, ports, kubeConfig, core,
    kubectl: (args, opts = {}) => run(kubectlBin, args, { env: { ...process.env, KUBECONFIG: opts.kubeconfig ?? adminKubeconfig }, input: opts.input }),
    async mintNodeKubeconfig(t, name) {
      const kubeconfig = await script('node-credentials.sh', [name]);
      t.after(() => ['.crt', '.key'].map((ext) => path.join(dir, 'pki/nodes', name + ext)).concat(kubeconfig).forEach((f) => rmSync(f, { force: true })));
      return kubeconfig;
    },
    async mintBootstrapKubeconfig(t, ttl = '1h') {
      const kubeconfig = await script('bootstrap-token.sh', ['--ttl', ttl]);
      const id = /bootstrap-([a-z0-9]{6})\.kubeconfig$/.exec(kubeconfig)![1];
      t.after(async () => {
        await cluster.kubectl(['-n', 'kube-system', 'delete', 'secret', `bootstrap-token-${id}`, '--ignore-not-found']);
        rmSync(kubeconfig, { force: true });
      });
      return kubeconfig;
    },
    async namespace(t, prefix) {
      const name = uniqueName(prefix);
      await core.createNamespace({ body: { metadata: { name } } });
      t.after(() => core.deleteNamespace({ name }).then(() => undefined, () => undefined));
      return name;
    },
    async waitFor(what, fn, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      let lastErr: unknown;
      while (Date.now() < deadline) {
        try {
          const v = await fn();
          if (v) return v as never;
        } catch (err) {
          lastErr = err;
        }
        await new Promise((r) => setTimeout(r, 250));
      }
      throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}${lastErr ? ` (last error: ${String(lastErr).slice(0, 500)})` : ''}`);
    },
    waitForServiceAccount: (namespace, name = 'default', timeoutMs) =>
      cluster.waitFor(`ServiceAccount ${namespace}/${name}`, () => core.readNamespacedServiceAccount({ namespace, name }), timeoutMs),
    waitForConfigMap: (namespace, name, timeoutMs) =>
      cluster.waitFor(`ConfigMap ${namespace}/${name}`, () => core.readNamespacedConfigMap({ namespace, name }), timeoutMs),
    waitForNodeReady: (name, timeoutMs = 90_000) =>
      cluster.waitFor(`Node ${name} Ready`, async () => {
        const node = await core.readNode({ name });
        return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? node : undefined;
      }, timeoutMs),
  };
  return cluster;
}

/** Whether this process is the first of its `node --test` run to report the skip (the runner is our parent). */
function firstToSkip(): boolean {
  let marker: string;
  try {
    const stat = readFileSync(`/proc/${process.ppid}/stat`, 'utf8');
    const runnerStart = stat.slice(stat.lastIndexOf(') ') + 2).split(' ')[19];
    marker = path.join(os.tmpdir(), `mini-kubelet-cluster-skip-${process.ppid}-${runnerStart}`);
  } catch {
    return true;
  }
  try {
    closeSync(openSync(marker, 'wx'));
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'EEXIST';
  }
}

let skipReported = false;
/**
 * `test(name, fn)` against the cluster. Without the control-plane binaries, the first call in a
 * file registers one skipped test instead, whose reason (in full for the first file of a run) is
 * the one line saying why, and later calls register nothing.
 */
export function clusterTest(name: string, fn: (cluster: Cluster, t: TestContext) => Promise<void>, opts: { timeout?: number } = {}): void {
  const c = check();
  if ('skip' in c) {
    if (!skipReported) test('cluster e2e', { skip: firstToSkip() ? c.skip : 'cluster e2e skipped (see above)' }, () => {});
    skipReported = true;
    return;
  }
  test(name, opts, async (t) => fn(await ensureCluster(), t));
}
