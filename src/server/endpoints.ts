// The endpoints both HTTP ports serve the same way (the kubelet's InstallDefaultHandlers): /healthz, /pods, /metrics, /metrics/resource, /metrics/probes, /stats/summary, /containerLogs.
import type http from 'node:http';
import { CONTAINER_LOGS_PREFIX, serveContainerLogs } from '../logs/http.js';
import type { ContainerLogsView } from '../logs/locate.js';
import type { SummaryOptions } from '../stats/provider.js';
import type { Summary } from '../stats/types.js';
import { truncate } from '../bounded.js';
import { encodePodListJSON } from './encode.js';
import { servePodWatch } from './pod-watch.js';
import { sendJSON, sendJSONText, sendNotFound, sendText } from './respond.js';
import type { PodViewSource, ServerLogger } from './types.js';

/** A Prometheus registry as the ports read it (a prom-client Registry fits). */
export interface MetricsSource {
  readonly contentType: string;
  metrics(): Promise<string>;
}

/** What the shared endpoints read; each optional one is served (else 404) only when given. */
export interface EndpointSources {
  source: PodViewSource;
  logger: ServerLogger;
  /** Serves GET /containerLogs/{namespace}/{pod}/{container}. */
  containerLogs?: ContainerLogsView;
  /** GET /metrics in the Prometheus text format. */
  metrics?: MetricsSource;
  /** GET /metrics/resource (the kubelet's resource metrics, what metrics-server scrapes); built from the Summary at each scrape. */
  resourceMetrics?: MetricsSource;
  /** GET /metrics/probes (prober_probe_total, prober_probe_duration_seconds). */
  probeMetrics?: MetricsSource;
  /** GET /stats/summary (the kubelet's Summary API); measured at each request. */
  summary?: (opts: SummaryOptions) => Promise<Summary>;
}

/**
 * Open streams (a pod watch, a following log) never end by themselves: each registers its stop
 * function here until it closes, so the server's close() can end them.
 */
export type OpenStreams = Set<() => void>;

function track(streams: OpenStreams, res: http.ServerResponse, stop: () => void): void {
  streams.add(stop);
  res.on('close', () => streams.delete(stop));
}

function isWatch(url: URL): boolean {
  const w = url.searchParams.get('watch');
  return w === 'true' || w === '1';
}

/** Answers req when its path is a shared endpoint and returns true; false leaves it to the port's own routes. */
export function serveSharedEndpoint(req: http.IncomingMessage, res: http.ServerResponse, url: URL, s: EndpointSources, streams: OpenStreams): boolean {
  if (url.pathname.startsWith(CONTAINER_LOGS_PREFIX) && s.containerLogs) {
    track(streams, res, serveContainerLogs(req, res, url, { view: s.containerLogs, logger: s.logger }));
    return true;
  }
  switch (url.pathname) {
    case '/healthz': {
      // The kubelet's healthz answers a bare "ok", and the failing check's message otherwise.
      const h = s.source.healthz();
      sendText(res, h.ok ? 200 : 500, h.ok ? 'ok' : h.message);
      return true;
    }
    case '/pods':
    case '/pods/watch':
      if (url.pathname === '/pods/watch' || isWatch(url)) {
        const bookmarks = url.searchParams.get('allowWatchBookmarks') === 'true';
        track(streams, res, servePodWatch(res, s.source, s.logger, { bookmarks }));
      } else {
        sendJSONText(res, 200, encodePodListJSON(s.source.pods()));
      }
      return true;
    case '/metrics':
    case '/metrics/resource':
    case '/metrics/probes': {
      const metrics = { '/metrics': s.metrics, '/metrics/resource': s.resourceMetrics, '/metrics/probes': s.probeMetrics }[url.pathname];
      if (metrics) serveMetrics(res, metrics, s.logger);
      else sendNotFound(res);
      return true;
    }
    case '/stats/summary':
      if (s.summary) serveSummary(res, url, s.summary, s.logger);
      else sendNotFound(res);
      return true;
    default:
      return false;
  }
}

/** The registry's text, collected now (the gauges read the cache and the process at this moment). */
function serveMetrics(res: http.ServerResponse, source: MetricsSource, logger: ServerLogger): void {
  source.metrics().then(
    (text) => {
      res.writeHead(200, { 'Content-Type': source.contentType });
      res.end(text);
    },
    (err: unknown) => {
      logger.error({ err }, 'cannot collect metrics');
      sendText(res, 500, truncate(`cannot collect metrics: ${String((err as Error)?.message ?? err)}`));
    },
  );
}

/**
 * The Summary, measured now. The kubelet's handler takes only_cpu_and_memory=true exactly, and
 * answers a failure with 500 and the error's text.
 */
function serveSummary(res: http.ServerResponse, url: URL, summary: NonNullable<EndpointSources['summary']>, logger: ServerLogger): void {
  const onlyCpuAndMemory = url.searchParams.get('only_cpu_and_memory') === 'true';
  summary({ onlyCpuAndMemory }).then(
    (s) => sendJSON(res, 200, s),
    (err: unknown) => {
      logger.error({ err }, 'cannot collect stats');
      sendText(res, 500, truncate(`Internal Error: ${String((err as Error)?.message ?? err)}`));
    },
  );
}
