// What `mini-kubelet exec` does: find the pod and container, open /exec over a channel WebSocket, wire stdin, stdout, stderr, a terminal and its size, and exit with the command's code.
import type { V1Status } from '@kubernetes/client-node';
import { findPod, pickContainer, podNameArg } from './logs-target.js';
import { nodeApiPods, openChannel, type NodeApiConnection } from './node-api-client.js';

export interface ExecRequest extends NodeApiConnection {
  pod: string;
  namespace: string;
  container?: string;
  command: string[];
  stdin: boolean;
  tty: boolean;
}

/** The terminal and streams exec uses (tests pass their own). */
export interface ExecIO {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?(mode: boolean): unknown };
  stdout: NodeJS.WritableStream & { columns?: number; rows?: number; on(event: 'resize', cb: () => void): unknown };
  stderr: NodeJS.WritableStream;
  warn(line: string): void;
}

const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const ERROR = 3;
const RESIZE = 4;
const CLOSE = 255;
const V5 = 'v5.channel.k8s.io';

/** The exit code a remotecommand status stands for (kubectl's exec: NonZeroExitCode carries it in an ExitCode cause). */
export function exitCodeOf(status: V1Status): { code: number; message?: string } {
  if (status.status === 'Success') return { code: 0 };
  if (status.reason === 'NonZeroExitCode') {
    const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
    const code = Number(cause?.message);
    if (Number.isInteger(code)) return { code };
  }
  return { code: 1, message: status.message ?? 'the command failed' };
}

/** The /exec path and query, as the API server builds it for the kubelet (input, output, error, tty; "1" turns one on). */
export function execPath(namespace: string, pod: string, container: string, command: string[], stdin: boolean, tty: boolean): string {
  const q = new URLSearchParams();
  for (const c of command) q.append('command', c);
  if (stdin) q.set('input', '1');
  q.set('output', '1');
  // A terminal has one output stream.
  if (!tty) q.set('error', '1');
  if (tty) q.set('tty', '1');
  const seg = (s: string) => encodeURIComponent(s);
  return `/exec/${seg(namespace)}/${seg(pod)}/${seg(container)}?${q}`;
}

function frame(channel: number, data: Buffer | string): Buffer {
  const payload = Buffer.isBuffer(data) ? data : Buffer.from(data);
  return Buffer.concat([Buffer.from([channel]), payload]);
}

/** Runs the command; resolves with its exit code. */
export async function runExec(req: ExecRequest, io: ExecIO): Promise<number> {
  const pod = findPod(await nodeApiPods(req), req.namespace, podNameArg(req.pod));
  const name = pod.metadata!.name!;
  const container = pickContainer(pod, req.container);
  const tty = req.tty && io.stdin.isTTY === true;
  if (req.tty && !tty) io.warn('Unable to use a TTY - input is not a terminal or the right kind of file');
  let result: { code: number; message?: string } | undefined;
  const ws = await openChannel(req, execPath(req.namespace, name, container, req.command, req.stdin, tty), (channel, data) => {
    if (channel === STDOUT) io.stdout.write(data);
    else if (channel === STDERR) io.stderr.write(data);
    else if (channel === ERROR && data.length) result = exitCodeOf(JSON.parse(data.toString()) as V1Status);
  });
  const restore: Array<() => void> = [];
  if (tty) {
    io.stdin.setRawMode?.(true);
    restore.push(() => io.stdin.setRawMode?.(false));
    const resize = () => ws.send(frame(RESIZE, JSON.stringify({ Width: io.stdout.columns ?? 80, Height: io.stdout.rows ?? 24 })));
    resize();
    io.stdout.on('resize', resize);
  }
  if (req.stdin) {
    const onData = (d: Buffer | string) => ws.send(frame(STDIN, typeof d === 'string' ? Buffer.from(d) : d));
    io.stdin.on('data', onData);
    io.stdin.once('end', () => {
      // v5 can say that stdin ended; v4 (containerd 1.6) has no way to, short of closing everything.
      if (ws.protocol === V5) ws.send(Buffer.from([CLOSE, STDIN]));
      // Said only if the command is still running a moment later (most commands have exited by then).
      else if (!tty) setTimeout(() => ws.readyState === ws.OPEN && io.warn(`stdin ended, but ${ws.protocol || 'this protocol'} cannot pass its end on: press Ctrl-C if the command waits for more input`), 2000).unref();
    });
    restore.push(() => {
      io.stdin.off('data', onData);
      io.stdin.pause();
    });
  }
  await new Promise<void>((resolve) => ws.once('close', () => resolve()));
  for (const r of restore) r();
  if (!result) return 1;
  if (result.message) io.warn(`command terminated: ${result.message}`);
  return result.code;
}
