// The kubelet server's request metrics (pkg/kubelet/server/metrics): kubelet_http_requests_total and kubelet_http_inflight_requests, by method, path bucket, server type and long running.
import { Counter, Gauge, type Registry } from 'prom-client';

/** Told when a request starts; the function it returns is called once, when the request (or stream) ends. */
export type HttpRequestObserver = (method: string, path: string) => () => void;

const METHODS = new Set(['OPTIONS', 'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'TRACE', 'CONNECT']);
const LONG_RUNNING = new Set(['exec', 'attach', 'portforward', 'debug']);

/** getURLRootPath: "metrics/<x>" for the metrics paths, else the first segment ("exec", "containerLogs", ...). */
export function pathBucket(path: string): string {
  const parts = path.replace(/^\//, '').split('/');
  return parts[0] === 'metrics' && parts.length > 1 ? `metrics/${parts[1]}` : (parts[0] ?? '');
}

export function registerHttpMetrics(registry: Registry, serverType: 'readwrite' | 'readonly'): HttpRequestObserver {
  const labelNames = ['method', 'path', 'server_type', 'long_running'];
  const total = new Counter({ name: 'kubelet_http_requests_total', help: 'Number of the http requests received since the server started', labelNames, registers: [registry] });
  const inflight = new Gauge({ name: 'kubelet_http_inflight_requests', help: 'Number of the inflight http requests', labelNames, registers: [registry] });
  return (method, path) => {
    const bucket = pathBucket(path);
    // isLongRunningRequest looks the bucket up as it is, so "portForward" is not long running there either.
    const labels = { method: METHODS.has(method) ? method : 'other', path: bucket, server_type: serverType, long_running: String(LONG_RUNNING.has(bucket)) };
    total.inc(labels);
    inflight.inc(labels);
    let done = false;
    return () => {
      if (!done) (done = true), inflight.dec(labels);
    };
  };
}
