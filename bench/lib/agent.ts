// Runs one mini-kubelet process for a benchmark: private dirs and node name, atomic manifest writes, its /pods and /metrics, its /proc figures.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { V1Pod } from '@kubernetes/client-node';
import type { CriClient } from '../../src/cri/client.js';
import { cpuSeconds, memory, type Memory } from './proc.js';
import { removeOwned } from './runtime.js';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The command users run: the bin on the compiled dist/ (it refuses a build older than any source). */
const BIN = path.join(REPO, 'bin/mini-kubelet.js');

/**
 * What the bin's first line (`#!/usr/bin/env -S NAME=value node --flag`) gives node: the agent
 * runs with the same memory settings as `bin/mini-kubelet.js` run by users, also in tsx mode or
 * with the bench's own extra node flags.
 */
export function binLaunch(): { env: Record<string, string>; nodeArgs: string[] } {
  const words = readFileSync(BIN, 'utf8').split('\n', 1)[0]!.replace(/^#!\S*env\s+(-S\s+)?/, '').split(/\s+/).filter(Boolean);
  const at = words.indexOf('node');
  const env = Object.fromEntries(words.slice(0, Math.max(at, 0)).map((w) => w.split('=', 2) as [string, string]));
  return { env, nodeArgs: at < 0 ? [] : words.slice(at + 1) };
}

/**
 * How the agent runs: "dist" (default) is what users run, `npm run build` then bin/mini-kubelet.js;
 * "tsx" runs the sources through tsx, as `npm run dev` does (its loader adds memory and start-up time).
 */
export type AgentMode = 'dist' | 'tsx';
export const agentMode = (): AgentMode => (process.env.BENCH_AGENT === 'tsx' ? 'tsx' : 'dist');

let built = false;
/** Builds dist/ once per bench process with the project's own build (scripts/build.mjs). */
export function buildAgent(): void {
  if (built || agentMode() !== 'dist') return;
  // BENCH_NO_BUILD=1 runs the dist/ already there (the bin still refuses it when stale).
  if (process.env.BENCH_NO_BUILD === '1' && existsSync(path.join(REPO, 'dist/cli/entry.js'))) return;
  const r = spawnSync(process.execPath, [path.join(REPO, 'scripts/build.mjs')], { cwd: REPO, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`npm run build failed:\n${r.stdout}${r.stderr}`.slice(0, 4000));
  built = true;
}

export interface AgentOptions {
  /** Short, lowercase: becomes part of the node name and so of every pod name. */
  name: string;
  endpoint: string;
  extraArgs?: string[];
  /** Extra node flags, e.g. --cpu-prof (env BENCH_AGENT_NODE_ARGS adds more). */
  nodeArgs?: string[];
  /** A stopped agent to take over from (its node name, dirs and port): the new one adopts its pods. */
  takeOver?: BenchAgent;
  /** The node name, when flags need it before the start (a cluster node's credentials). */
  nodeName?: string;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export class BenchAgent {
  private tail: string[] = [];
  private errors = 0;

  private constructor(
    readonly nodeName: string,
    readonly base: string,
    readonly port: number,
    private readonly child: ChildProcess,
  ) {}

  get manifestDir(): string {
    return path.join(this.base, 'manifests');
  }
  get pid(): number {
    return this.child.pid!;
  }

  static async start(opts: AgentOptions): Promise<BenchAgent> {
    buildAgent();
    // `takeOver`: the same node name, dirs and port as a stopped agent, whose pods it adopts.
    const before = opts.takeOver;
    const base = before?.base ?? mkdtempSync(path.join(tmpdir(), `mk-bench-${opts.name}-`));
    if (!before) for (const d of ['manifests', 'root', 'logs']) mkdirSync(path.join(base, d));
    const nodeName = before?.nodeName ?? opts.nodeName ?? `bench-${opts.name}-${Math.random().toString(36).slice(2, 7)}`;
    const port = before?.port ?? (await freePort());
    const entry = agentMode() === 'dist' ? [BIN] : ['--import', 'tsx', path.join(REPO, 'src/cli/entry.ts')];
    const nodeArgs = [...(opts.nodeArgs ?? []), ...(process.env.BENCH_AGENT_NODE_ARGS?.split(' ').filter(Boolean) ?? [])];
    if (process.env.BENCH_MEMLOG === '1') nodeArgs.push('--import', path.join(REPO, 'bench/lib/memlog.mjs'));
    const launch = binLaunch();
    const args = [
      ...launch.nodeArgs,
      ...nodeArgs,
      ...entry,
      '--pod-manifest-path', path.join(base, 'manifests'),
      '--container-runtime-endpoint', opts.endpoint,
      '--hostname-override', nodeName,
      '--root-dir', path.join(base, 'root'),
      '--pod-logs-dir', path.join(base, 'logs'),
      '--read-only-port', String(port),
      // The node API (HTTPS) on a port of its own: two agents (or another checkout's) never share 10250.
      '--port', String(await freePort()),
      // The default log level: relist durations come from /metrics, and debug logging would cost
      // the agent about half a point of CPU at steady state. JSON, to count error lines.
      '--log-format', 'json',
      ...(opts.extraArgs ?? []),
    ];
    // BENCH_AGENT_STDOUT=FILE keeps what the agent's node prints on stdout (e.g. --trace-gc).
    const stdout = process.env.BENCH_AGENT_STDOUT ? openSync(process.env.BENCH_AGENT_STDOUT, 'a') : 'ignore';
    const child = spawn(process.execPath, args, { cwd: REPO, env: { ...process.env, ...launch.env }, stdio: ['ignore', stdout, 'pipe'] });
    const agent = new BenchAgent(nodeName, base, port, child);
    agent.follow();
    await agent.waitHealthy();
    return agent;
  }

  /** Reads the JSON log: error count, and a tail for failure messages. */
  private follow(): void {
    // BENCH_AGENT_LOG=FILE keeps a copy of the agent's log (every round's agent appends).
    const logCopy = process.env.BENCH_AGENT_LOG || undefined;
    let partial = '';
    this.child.stderr!.on('data', (d: Buffer) => {
      const lines = (partial + d.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        this.tail.push(line);
        if (this.tail.length > 60) this.tail.shift();
        if (line.includes('"level":50')) this.errors++;
        if (line.includes('"memlog"')) process.stderr.write(`${line}\n`);
        if (logCopy !== undefined) appendFileSync(logCopy, `${line}\n`);
      }
    });
  }

  private async waitHealthy(): Promise<void> {
    const started = Date.now();
    while (Date.now() - started < 60_000) {
      if (this.child.exitCode !== null) throw new Error(`agent exited with ${this.child.exitCode}:\n${this.logTail()}`);
      try {
        if ((await fetch(`http://127.0.0.1:${this.port}/healthz`)).status === 200) return;
      } catch {
        /* not listening yet */
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`agent not healthy after 60s:\n${this.logTail()}`);
  }

  logTail(): string {
    return this.tail.join('\n');
  }
  errorCount(): number {
    return this.errors;
  }

  /** Writes a manifest the way config tools do: a dot-file (ignored by the source) renamed into place. */
  writeManifest(file: string, content: string): void {
    const tmp = path.join(this.manifestDir, `.${file}.tmp`);
    writeFileSync(tmp, content);
    renameSync(tmp, path.join(this.manifestDir, file));
  }

  /** Writes many manifests at once: all files first as dot-files, then renamed in one go. */
  writeManifests(files: { file: string; content: string }[]): void {
    for (const f of files) writeFileSync(path.join(this.manifestDir, `.${f.file}.tmp`), f.content);
    for (const f of files) renameSync(path.join(this.manifestDir, `.${f.file}.tmp`), path.join(this.manifestDir, f.file));
  }

  removeManifest(file: string): void {
    unlinkSync(path.join(this.manifestDir, file));
  }

  async pods(): Promise<V1Pod[]> {
    try {
      const res = await fetch(`http://127.0.0.1:${this.port}/pods`);
      return ((await res.json()) as { items: V1Pod[] }).items;
    } catch (err) {
      // An agent that went away says why in its last lines; without them the bench shows only ECONNREFUSED.
      const how = this.child.exitCode !== null ? `exited with ${this.child.exitCode}` : this.child.signalCode ? `killed by ${this.child.signalCode}` : 'still running';
      throw new Error(`GET /pods failed (${(err as Error).message}); the agent is ${how}:\n${this.logTail()}`, { cause: err });
    }
  }

  /** The agent's /metrics text (Prometheus format); bench/lib/histogram.ts reads it. */
  async metrics(): Promise<string> {
    const res = await fetch(`http://127.0.0.1:${this.port}/metrics`);
    if (!res.ok) throw new Error(`/metrics answered ${res.status}`);
    return res.text();
  }

  cpuSeconds(): number {
    return cpuSeconds(this.pid);
  }
  memory(): Memory {
    return memory(this.pid);
  }

  /** Stops the process; SIGTERM lets a --cpu-prof profile be written. Pods stay in the runtime. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 10_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    await exited;
    clearTimeout(timer);
  }

  /** Stops the agent, removes every sandbox its node name owns, and deletes its dirs. */
  async cleanup(cri: CriClient): Promise<void> {
    await this.stop(process.env.BENCH_AGENT_NODE_ARGS?.includes('prof') ? 'SIGTERM' : 'SIGKILL');
    await removeOwned(cri, this.nodeName);
    rmSync(this.base, { recursive: true, force: true });
  }
}

/** A pod is Running in /pods: phase Running and its container running (kubectl's STATUS would say Running). */
export function isRunning(pod: V1Pod | undefined): boolean {
  return pod?.status?.phase === 'Running' && (pod.status.containerStatuses ?? []).some((c) => c.state?.running);
}
