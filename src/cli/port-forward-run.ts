// What `mini-kubelet port-forward` does: listen on a local port and carry each connection to the pod's port over its own /portForward WebSocket (v4.channel.k8s.io: data and error channels, each opened by the port number).
import net from 'node:net';
import { findPod, podNameArg } from './logs-target.js';
import { nodeApiPods, openChannel, type NodeApiConnection } from './node-api-client.js';

export interface PortForwardRequest extends NodeApiConnection {
  pod: string;
  namespace: string;
  /** 0: a port the OS picks. */
  localPort: number;
  remotePort: number;
  address: string;
}

export interface PortForwardIO {
  /** kubectl's lines ("Forwarding from ...", "Handling connection for ..."). */
  say(line: string): void;
  warn(line: string): void;
  /** Ends the forwarding (Ctrl-C in the real CLI). */
  signal: AbortSignal;
}

/** "LOCAL:REMOTE", "PORT" (both the same) or ":REMOTE" (any local port), as kubectl parses them. */
export function parsePortSpec(spec: string): { localPort: number; remotePort: number } {
  const parts = spec.split(':');
  const port = (s: string, allowZero: boolean) => {
    const n = /^\d+$/.test(s) ? Number(s) : NaN;
    if (!(n >= (allowZero ? 0 : 1) && n <= 65535)) throw new Error(`error: invalid port ${JSON.stringify(s)} in ${JSON.stringify(spec)}`);
    return n;
  };
  if (parts.length === 1) return { localPort: port(parts[0]!, false), remotePort: port(parts[0]!, false) };
  if (parts.length !== 2) throw new Error(`error: invalid port format ${JSON.stringify(spec)}: want LOCAL:REMOTE`);
  return { localPort: parts[0] === '' ? 0 : port(parts[0]!, true), remotePort: port(parts[1]!, false) };
}

const DATA = 0;
const ERROR = 1;

/** One local connection: its own stream to the pod's port; the first two bytes of each channel are the port. */
async function carry(req: PortForwardRequest, podName: string, socket: net.Socket, io: PortForwardIO): Promise<void> {
  const seen = new Set<number>();
  const path = `/portForward/${encodeURIComponent(req.namespace)}/${encodeURIComponent(podName)}?port=${req.remotePort}`;
  socket.pause();
  let ws;
  try {
    ws = await openChannel(req, path, (channel, data) => {
      const payload = seen.has(channel) ? data : (seen.add(channel), data.subarray(2));
      if (!payload.length) return;
      if (channel === DATA) socket.write(payload);
      else if (channel === ERROR) {
        io.warn(`error forwarding port ${req.remotePort} to pod ${podName}: ${payload.toString().trim()}`);
        socket.destroy();
      }
    });
  } catch (err) {
    io.warn((err as Error).message);
    socket.destroy();
    return;
  }
  socket.on('data', (d: Buffer) => ws.send(Buffer.concat([Buffer.from([DATA]), d])));
  socket.resume();
  socket.once('close', () => ws.close());
  socket.on('error', () => socket.destroy());
  ws.once('close', () => socket.end());
}

/** Forwards until the signal aborts; resolves with the local port once listening is over. */
export async function runPortForward(req: PortForwardRequest, io: PortForwardIO): Promise<void> {
  const pod = findPod(await nodeApiPods(req), req.namespace, podNameArg(req.pod));
  const podName = pod.metadata!.name!;
  const open = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
    io.say(`Handling connection for ${req.localPort || (server.address() as net.AddressInfo).port}`);
    void carry(req, podName, socket, io);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new Error(`error: unable to listen on port ${req.localPort}: ${err.message}`)));
    server.listen(req.localPort, req.address, () => resolve());
  });
  const { port } = server.address() as net.AddressInfo;
  io.say(`Forwarding from ${req.address}:${port} -> ${req.remotePort}`);
  await new Promise<void>((resolve) => {
    if (io.signal.aborted) return resolve();
    io.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  for (const s of open) s.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
