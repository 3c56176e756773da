// exec, attach, portForward and run: the request's pod, container and options, and the runtime's streaming URL for them (kubelet server getExec/getAttach/getPortForward/getRun, GetExec/GetAttach/GetPortForward).
import type { V1Pod } from '@kubernetes/client-node';
import { CriError } from '../../cri/errors.js';
import type { RuntimeService } from '../../cri/types.js';
import type { ObservedPod } from '../../runtime/types.js';

export type StreamKind = 'exec' | 'attach' | 'portForward' | 'run';

/** /{kind}/{namespace}/{pod}[/{uid}]/{container}; portForward has no container. */
export interface StreamTarget {
  kind: StreamKind;
  namespace: string;
  pod: string;
  uid?: string;
  container?: string;
}

export interface StreamingDeps {
  cri: Pick<RuntimeService, 'exec' | 'attach' | 'portForward' | 'execSync'>;
  /** The pods the agent runs (the kubelet's pod manager). */
  pods(): V1Pod[];
  /** The runtime's view of one pod (the PLEG cache). */
  observed(uid: string): ObservedPod | undefined;
}

/** A request the kubelet refuses before any stream: the HTTP status and its plain-text message. */
export class StreamError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export interface StreamOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

const KINDS: Record<string, StreamKind> = { exec: 'exec', attach: 'attach', portForward: 'portForward', run: 'run' };

/** The route's parameters, or undefined when the path is none of the streaming routes. */
export function parseStreamPath(pathname: string): StreamTarget | undefined {
  const [, first, ...rest] = pathname.split('/');
  const kind = KINDS[first ?? ''];
  if (!kind) return undefined;
  let parts: string[];
  try {
    parts = rest.map((p) => decodeURIComponent(p));
  } catch {
    return undefined;
  }
  if (parts.some((p) => p === '')) return undefined;
  if (kind === 'portForward') {
    if (parts.length !== 2 && parts.length !== 3) return undefined;
    return { kind, namespace: parts[0]!, pod: parts[1]!, ...(parts[2] ? { uid: parts[2] } : {}) };
  }
  if (parts.length !== 3 && parts.length !== 4) return undefined;
  const container = parts[parts.length - 1]!;
  return { kind, namespace: parts[0]!, pod: parts[1]!, ...(parts.length === 4 ? { uid: parts[2] } : {}), container };
}

/**
 * remotecommand NewOptions: the API server's names for the streams (api.ExecStdinParam "input",
 * ExecStdoutParam "output", ExecStderrParam "error", ExecTTYParam "tty"), each on only when "1";
 * a TTY has no separate stderr; one stream at least.
 */
export function streamOptions(q: URLSearchParams): StreamOptions {
  const on = (name: string) => q.get(name) === '1';
  const tty = on('tty');
  const o = { stdin: on('input'), stdout: on('output'), stderr: on('error') && !tty, tty };
  if (!o.stdin && !o.stdout && !o.stderr) throw new StreamError(400, 'you must specify at least 1 of stdin, stdout, stderr');
  return o;
}

/** portforward NewV4Options: a WebSocket client names its ports in the query; SPDY names them per stream. */
export function portForwardPorts(q: URLSearchParams, isWebSocket: boolean): number[] {
  if (!isWebSocket) return [];
  const values = q.getAll('port');
  if (!values.length) throw new StreamError(400, 'query parameter "port" is required');
  return values.map((v) => {
    const n = /^\d+$/.test(v) ? Number(v) : NaN;
    if (!(n >= 0 && n <= 65535)) throw new StreamError(400, `unable to parse "${v}" as a port: invalid syntax`);
    if (n === 0) throw new StreamError(400, `port "${v}" must be > 0`);
    return n;
  });
}

/** GetPodByName: the pod manager's pod; 404 "pod does not exist" otherwise. */
function podByName(deps: StreamingDeps, t: StreamTarget): V1Pod {
  const pod = deps.pods().find((p) => p.metadata?.namespace === t.namespace && p.metadata?.name === t.pod);
  if (!pod) throw new StreamError(404, 'pod does not exist');
  return pod;
}

/** findContainer: the running instance in the runtime's running pod (matched by UID when the path has one). */
function runningContainerId(deps: StreamingDeps, pod: V1Pod, t: StreamTarget): string {
  const uid = pod.metadata?.uid ?? '';
  const observed = !t.uid || t.uid === uid ? deps.observed(uid) : undefined;
  const c = observed?.containers.find((x) => x.name === t.container && x.state === 'running');
  if (!c) throw new StreamError(500, `container not found (${JSON.stringify(t.container)})`);
  return c.id;
}

/** streaming.WriteError: a runtime NotFound is a 404, anything else a 500, with the error's text. */
async function fromRuntime<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof CriError) throw new StreamError(err.codeName === 'NOT_FOUND' ? 404 : 500, err.message);
    throw err;
  }
}

/** The runtime's URL for the request, which the server then proxies to. */
export async function streamingURL(t: StreamTarget, q: URLSearchParams, isWebSocket: boolean, deps: StreamingDeps): Promise<URL> {
  let raw: string;
  if (t.kind === 'portForward') {
    const port = portForwardPorts(q, isWebSocket);
    const pod = podByName(deps, t);
    const uid = pod.metadata?.uid ?? '';
    if (t.uid && t.uid !== uid) throw new StreamError(404, 'pod not found');
    // GetPortForward: the pod's newest ready sandbox.
    const sandbox = deps.observed(uid)?.sandboxes.find((s) => s.state === 'ready');
    if (!sandbox) throw new StreamError(500, `pod not found (${JSON.stringify(`${t.pod}_${t.namespace}`)})`);
    raw = await fromRuntime(() => deps.cri.portForward({ podSandboxId: sandbox.id, port }));
  } else {
    const o = streamOptions(q);
    const pod = podByName(deps, t);
    const containerId = runningContainerId(deps, pod, t);
    if (t.kind === 'exec') {
      raw = await fromRuntime(() => deps.cri.exec({ containerId, cmd: q.getAll('command'), ...o }));
    } else {
      // GetAttach: a TTY is the container's own setting; it cannot change after the start.
      const spec = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find((c) => c.name === t.container);
      if (!spec) throw new StreamError(500, `container ${t.container} not found in pod ${t.pod}_${t.namespace}`);
      raw = await fromRuntime(() => deps.cri.attach({ containerId, ...o, tty: spec.tty === true }));
    }
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new StreamError(500, `the runtime gave an invalid streaming URL: ${JSON.stringify(raw.slice(0, 200))}`);
  }
  if (url.protocol !== 'http:') throw new StreamError(500, `the runtime's streaming URL is ${url.protocol}, and only http: is proxied`);
  return url;
}

/**
 * getRun / RunInContainer: the command (space-separated in "cmd", for legacy reasons) through
 * ExecSync; its stdout then stderr. A non-zero exit is an error, as the kubelet's CodeExitError.
 */
export async function runInContainer(t: StreamTarget, q: URLSearchParams, deps: StreamingDeps): Promise<Buffer> {
  const pod = podByName(deps, t);
  const cmd = (q.get('cmd') ?? '').split(' ');
  const containerId = runningContainerId(deps, pod, t);
  const r = await fromRuntime(() => deps.cri.execSync(containerId, cmd, 0));
  if (r.exitCode !== 0) throw new StreamError(500, `command '${cmd.join(' ')}' exited with ${r.exitCode}: ${r.stderr.toString().slice(0, 4096)}`);
  return Buffer.concat([r.stdout, r.stderr]);
}
