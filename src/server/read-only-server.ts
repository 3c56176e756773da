// The kubelet's read-only HTTP port (--read-only-port): the shared endpoints (endpoints.ts) plus /manifests/errors, a pod's events and CRI trace, the runtime's pods and the live page (/ui/).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { V1Pod } from '@kubernetes/client-node';
import { truncate } from '../bounded.js';
import { toCoreEvent, type PodEvent } from '../events/recorder.js';
import type { ObservedPod } from '../runtime/types.js';
import { statusBody } from './encode.js';
import { podTraceBody, serveTraceWatch, TRACE_PATH, type TraceView } from './trace-route.js';
import { runtimePods, serveUI } from './ui-route.js';
import type { PodViewSource } from './types.js';
import { serveSharedEndpoint, type EndpointSources, type OpenStreams } from './endpoints.js';
import { sendJSON, sendNotFound, sendStatus } from './respond.js';

export interface ReadOnlyServerOptions extends EndpointSources {
  /** Default 127.0.0.1: the port is unauthenticated, so it stays on loopback unless asked. */
  address?: string;
  /** The kubelet's --read-only-port (default 10255); 0 disables the server, as in the kubelet. */
  port: number;
  /** Tests: listen on a port the OS picks instead of `port`. */
  anyPort?: boolean;
  /** A pod's events by UID (EventRecorder.eventsFor), served at /pods/<namespace>/<name>/events. */
  events?: (uid: string) => PodEvent[];
  /** The CRI calls made for each pod (trace/store.ts), served at /pods/<namespace>/<name>/trace. */
  trace?: TraceView;
  /** What the runtime reports of each pod (the PLEG cache), served at /runtime/pods for the page at /ui/. */
  runtimePods?: () => ObservedPod[];
  /** The node name, as the events' source host. */
  nodeName?: string;
  // containerLogs (EndpointSources): the kubelet serves logs on its authenticated port only; here
  // they are on the read-only one too, bound to loopback by default. exec, attach and port-forward
  // are never served here: they are on the node API port (src/server/node-api/), behind authentication.
}

export interface ReadOnlyServer {
  /** The port listened on; 0 when disabled. */
  port: number;
  close(): Promise<void>;
}

export const DEFAULT_READ_ONLY_PORT = 10255;

function route(req: http.IncomingMessage, res: http.ServerResponse, opts: ReadOnlyServerOptions, streams: OpenStreams): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    sendStatus(res, 405, 'MethodNotAllowed', `the read-only port does not allow ${req.method}`, { Allow: 'GET, HEAD' });
    return;
  }
  const url = new URL(req.url ?? '/', 'http://read-only.invalid');
  if (serveSharedEndpoint(req, res, url, opts, streams)) return;
  if (url.pathname === '/manifests/errors') {
    sendJSON(res, 200, { items: opts.source.rejected() });
    return;
  }
  if (url.pathname === '/ui' || url.pathname.startsWith('/ui/')) {
    serveUI(res, url.pathname);
    return;
  }
  if (url.pathname === '/runtime/pods') {
    if (opts.runtimePods) sendJSON(res, 200, runtimePods(opts.runtimePods()));
    else sendNotFound(res);
    return;
  }
  // /pods/<namespace>/<name>/events: what `describe pod` shows under Events, as a core/v1 EventList.
  const m = /^\/pods\/([^/]+)\/([^/]+)\/events$/.exec(url.pathname);
  if (m && opts.events) {
    const pod = podNamed(res, opts.source, m);
    if (!pod) return;
    const items = opts.events(pod.metadata?.uid ?? '').map((e) => toCoreEvent(e, opts.nodeName));
    sendJSON(res, 200, { kind: 'EventList', apiVersion: 'v1', metadata: {}, items });
    return;
  }
  // /pods/<namespace>/<name>/trace: the CRI calls made for the pod, with ?watch=true a stream of new ones.
  const t = TRACE_PATH.exec(url.pathname);
  if (t && opts.trace) {
    const pod = podNamed(res, opts.source, t);
    if (!pod) return;
    const uid = pod.metadata?.uid ?? '';
    const after = Math.max(0, Number(url.searchParams.get('since') ?? 0) || 0);
    const w = url.searchParams.get('watch');
    if (w === 'true' || w === '1') {
      const stop = serveTraceWatch(res, opts.trace, uid, after);
      streams.add(stop);
      res.on('close', () => streams.delete(stop));
      return;
    }
    sendJSON(res, 200, podTraceBody(pod, opts.trace.entries(uid, after)));
    return;
  }
  sendNotFound(res);
}

/** The pod a /pods/<namespace>/<name>/... path names, or undefined after answering 404. */
function podNamed(res: http.ServerResponse, source: PodViewSource, m: RegExpExecArray): V1Pod | undefined {
  const [namespace, name] = [decodeURIComponent(m[1]!), decodeURIComponent(m[2]!)];
  const pod = source.pods().find((p) => (p.metadata?.namespace ?? 'default') === namespace && p.metadata?.name === name);
  if (!pod) sendStatus(res, 404, 'NotFound', truncate(`pods "${name}" not found`));
  return pod;
}

/** Starts the read-only server; resolves once it listens (or at once when the port is 0). */
export async function startReadOnlyServer(opts: ReadOnlyServerOptions): Promise<ReadOnlyServer> {
  const { logger } = opts;
  if (opts.port === 0 && !opts.anyPort) {
    logger.info({}, 'read-only server disabled (--read-only-port=0)');
    return { port: 0, close: async () => {} };
  }
  const streams: OpenStreams = new Set();
  const server = http.createServer((req, res) => {
    try {
      route(req, res, opts, streams);
    } catch (err) {
      logger.error({ err, path: req.url }, 'read-only server: request failed');
      if (!res.headersSent) sendJSON(res, 500, statusBody(500, 'InternalError', truncate(String((err as Error)?.message ?? err))));
      else res.destroy();
    }
    res.on('finish', () => logger.debug({ method: req.method, path: req.url, code: res.statusCode }, 'read-only request'));
  });
  const address = opts.address ?? '127.0.0.1';
  await listen(server, opts.anyPort ? 0 : opts.port, address);
  const port = (server.address() as AddressInfo).port;
  logger.info({ address, port }, 'read-only server listening');
  return { port, close: () => closeServer(server, streams) };
}

/** Listens on address:port; rejects (EADDRINUSE, EACCES) instead of emitting an error later. */
export function listen(server: { once: http.Server['once']; off: http.Server['off']; listen: http.Server['listen'] }, port: number, address: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Ends the open streams, then closes: idle connections at once, one still in flight after a second. */
export function closeServer(server: http.Server, streams: OpenStreams): Promise<void> {
  return new Promise<void>((resolve) => {
    // Watches never end by themselves; end them so close() does not wait on open streams.
    for (const stop of [...streams]) stop();
    server.close(() => resolve());
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), 1000).unref();
  });
}
