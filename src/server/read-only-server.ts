// The kubelet's read-only HTTP port (--read-only-port): /healthz, /pods (list and watch), /metrics, /metrics/resource, /metrics/probes, /stats/summary, /manifests/errors, a pod's events, container logs.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { toCoreEvent, type PodEvent } from '../events/recorder.js';
import { CONTAINER_LOGS_PREFIX, serveContainerLogs } from '../logs/http.js';
import type { ContainerLogsView } from '../logs/locate.js';
import { truncate } from '../bounded.js';
import { encodePodListJSON, statusBody } from './encode.js';
import { servePodWatch } from './pod-watch.js';
import type { SummaryOptions } from '../stats/provider.js';
import type { Summary } from '../stats/types.js';
import type { PodViewSource, ServerLogger } from './types.js';

export interface ReadOnlyServerOptions {
  /** Default 127.0.0.1: the port is unauthenticated, so it stays on loopback unless asked. */
  address?: string;
  /** The kubelet's --read-only-port (default 10255); 0 disables the server, as in the kubelet. */
  port: number;
  /** Tests: listen on a port the OS picks instead of `port`. */
  anyPort?: boolean;
  source: PodViewSource;
  logger: ServerLogger;
  /** A pod's events by UID (EventRecorder.eventsFor), served at /pods/<namespace>/<name>/events. */
  events?: (uid: string) => PodEvent[];
  /** The node name, as the events' source host. */
  nodeName?: string;
  /**
   * Serves GET /containerLogs/{namespace}/{pod}/{container} when given. The kubelet serves logs on
   * its authenticated port only; here they are on the read-only one, bound to loopback by default.
   */
  containerLogs?: ContainerLogsView;
  /** Serves GET /metrics in the Prometheus text format when given (a prom-client Registry). */
  metrics?: { readonly contentType: string; metrics(): Promise<string> };
  /**
   * Serves GET /metrics/resource (the kubelet's resource metrics, what metrics-server scrapes) when
   * given; its text is built from the Summary at each scrape.
   */
  resourceMetrics?: { readonly contentType: string; metrics(): Promise<string> };
  /** Serves GET /metrics/probes (prober_probe_total, prober_probe_duration_seconds) when given. */
  probeMetrics?: { readonly contentType: string; metrics(): Promise<string> };
  /** Serves GET /stats/summary (the kubelet's Summary API) when given; measured at each request. */
  summary?: (opts: SummaryOptions) => Promise<Summary>;
}

export interface ReadOnlyServer {
  /** The port listened on; 0 when disabled. */
  port: number;
  close(): Promise<void>;
}

export const DEFAULT_READ_ONLY_PORT = 10255;

function sendJSON(res: http.ServerResponse, code: number, body: unknown, headers: http.OutgoingHttpHeaders = {}) {
  sendJSONText(res, code, JSON.stringify(body), headers);
}

/** JSON already serialized (the pod list, joined from cached per-pod encodings). */
function sendJSONText(res: http.ServerResponse, code: number, json: string, headers: http.OutgoingHttpHeaders = {}) {
  res.writeHead(code, { 'Content-Type': 'application/json', ...headers });
  res.end(json);
}

function sendText(res: http.ServerResponse, code: number, text: string) {
  res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
  res.end(text);
}

function isWatch(url: URL): boolean {
  const w = url.searchParams.get('watch');
  return w === 'true' || w === '1';
}

function route(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  opts: ReadOnlyServerOptions,
  watches: Set<() => void>,
): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    sendJSON(res, 405, statusBody(405, 'MethodNotAllowed', `the read-only port does not allow ${req.method}`), {
      Allow: 'GET, HEAD',
    });
    return;
  }
  const url = new URL(req.url ?? '/', 'http://read-only.invalid');
  const { source } = opts;
  if (url.pathname.startsWith(CONTAINER_LOGS_PREFIX) && opts.containerLogs) {
    const stop = serveContainerLogs(req, res, url, { view: opts.containerLogs, logger: opts.logger });
    // A following log never ends by itself, like a watch.
    watches.add(stop);
    res.on('close', () => watches.delete(stop));
    return;
  }
  switch (url.pathname) {
    case '/healthz': {
      // The kubelet's healthz answers a bare "ok", and the failing check's message otherwise.
      const h = source.healthz();
      sendText(res, h.ok ? 200 : 500, h.ok ? 'ok' : h.message);
      return;
    }
    case '/pods':
    case '/pods/watch': {
      if (url.pathname === '/pods/watch' || isWatch(url)) {
        const bookmarks = url.searchParams.get('allowWatchBookmarks') === 'true';
        const stop = servePodWatch(res, source, opts.logger, { bookmarks });
        watches.add(stop);
        res.on('close', () => watches.delete(stop));
        return;
      }
      sendJSONText(res, 200, encodePodListJSON(source.pods()));
      return;
    }
    case '/metrics':
    case '/metrics/resource':
    case '/metrics/probes': {
      const metrics = { '/metrics': opts.metrics, '/metrics/resource': opts.resourceMetrics, '/metrics/probes': opts.probeMetrics }[url.pathname];
      if (metrics) serveMetrics(res, metrics, opts.logger);
      else sendJSON(res, 404, statusBody(404, 'NotFound', 'the server could not find the requested resource'));
      return;
    }
    case '/stats/summary':
      if (opts.summary) serveSummary(res, url, opts.summary, opts.logger);
      else sendJSON(res, 404, statusBody(404, 'NotFound', 'the server could not find the requested resource'));
      return;
    case '/manifests/errors':
      sendJSON(res, 200, { items: source.rejected() });
      return;
    default: {
      // /pods/<namespace>/<name>/events: what `describe pod` shows under Events, as a core/v1 EventList.
      const m = /^\/pods\/([^/]+)\/([^/]+)\/events$/.exec(url.pathname);
      if (m && opts.events) {
        const [namespace, name] = [decodeURIComponent(m[1]!), decodeURIComponent(m[2]!)];
        const pod = source.pods().find((p) => (p.metadata?.namespace ?? 'default') === namespace && p.metadata?.name === name);
        if (!pod) {
          sendJSON(res, 404, statusBody(404, 'NotFound', `pods "${name}" not found`));
          return;
        }
        const items = opts.events(pod.metadata?.uid ?? '').map((e) => toCoreEvent(e, opts.nodeName));
        sendJSON(res, 200, { kind: 'EventList', apiVersion: 'v1', metadata: {}, items });
        return;
      }
      sendJSON(res, 404, statusBody(404, 'NotFound', 'the server could not find the requested resource'));
    }
  }
}

/** The registry's text, collected now (the gauges read the cache and the process at this moment). */
function serveMetrics(res: http.ServerResponse, source: NonNullable<ReadOnlyServerOptions['metrics']>, logger: ServerLogger): void {
  source.metrics().then(
    (text) => {
      res.writeHead(200, { 'Content-Type': source.contentType });
      res.end(text);
    },
    (err: unknown) => {
      logger.error({ err }, 'read-only server: cannot collect metrics');
      sendText(res, 500, truncate(`cannot collect metrics: ${String((err as Error)?.message ?? err)}`));
    },
  );
}

/**
 * The Summary, measured now. The kubelet's handler takes only_cpu_and_memory=true exactly, and
 * answers a failure with 500 and the error's text.
 */
function serveSummary(res: http.ServerResponse, url: URL, summary: NonNullable<ReadOnlyServerOptions['summary']>, logger: ServerLogger): void {
  const onlyCpuAndMemory = url.searchParams.get('only_cpu_and_memory') === 'true';
  summary({ onlyCpuAndMemory }).then(
    (s) => sendJSON(res, 200, s),
    (err: unknown) => {
      logger.error({ err }, 'read-only server: cannot collect stats');
      sendText(res, 500, truncate(`Internal Error: ${String((err as Error)?.message ?? err)}`));
    },
  );
}

/** Starts the read-only server; resolves once it listens (or at once when the port is 0). */
export async function startReadOnlyServer(opts: ReadOnlyServerOptions): Promise<ReadOnlyServer> {
  const { logger } = opts;
  if (opts.port === 0 && !opts.anyPort) {
    logger.info({}, 'read-only server disabled (--read-only-port=0)');
    return { port: 0, close: async () => {} };
  }
  const watches = new Set<() => void>();
  const server = http.createServer((req, res) => {
    try {
      route(req, res, opts, watches);
    } catch (err) {
      logger.error({ err, path: req.url }, 'read-only server: request failed');
      if (!res.headersSent) sendJSON(res, 500, statusBody(500, 'InternalError', String((err as Error)?.message ?? err)));
      else res.destroy();
    }
    res.on('finish', () => logger.debug({ method: req.method, path: req.url, code: res.statusCode }, 'read-only request'));
  });
  const address = opts.address ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.anyPort ? 0 : opts.port, address, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  logger.info({ address, port }, 'read-only server listening');
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        // Watches never end by themselves; end them so close() does not wait on open streams.
        for (const stop of [...watches]) stop();
        server.close(() => resolve());
        server.closeIdleConnections();
        // A request still in flight gets a moment to finish, then its connection is cut.
        setTimeout(() => server.closeAllConnections(), 1000).unref();
      }),
  };
}
