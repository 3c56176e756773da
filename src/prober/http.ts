// HTTP GET for probes and hooks: the kubelet's NewRequestForHTTPGetAction, its redirect rule and DoHTTPProbe.
import http from 'node:http';
import https from 'node:https';
import type { V1Container, V1HTTPGetAction } from '@kubernetes/client-node';
import { joinHostPort, probeHost, resolveContainerPort } from './target.js';
import { userAgent, type CheckOutcome, type ProbeTarget } from './types.js';

/** kubelet maxRespBodyLength: probes read at most 10 KiB of a body. */
export const MAX_RESPONSE_BODY = 10 * 1024;
const MAX_REDIRECTS = 10;
const REDIRECT_CODES = new Set([301, 302, 303, 307, 308]);

export interface HttpGetRequest {
  url: URL;
  /** Canonical header names (Go's http.Header), each with its values. */
  headers: Map<string, string[]>;
}

export interface HttpResponse {
  status: number;
  body: string;
  /** The URL that answered (after any redirects followed). */
  url: URL;
}

/** textproto.CanonicalMIMEHeaderKey: "x-custom-header" → "X-Custom-Header". */
export function canonicalHeaderKey(name: string): string {
  return name.toLowerCase().replace(/(^|-)([a-z])/g, (_m, sep: string, c: string) => sep + c.toUpperCase());
}

/**
 * httpprobe.NewRequestForHTTPGetAction: scheme (default http), host (default the pod IP), a named
 * or numbered port, the path, httpHeaders, and a default User-Agent and Accept. Throws when the
 * port cannot be resolved or the host is not the pod's own.
 */
export function newRequestForHTTPGetAction(
  action: V1HTTPGetAction,
  container: Pick<V1Container, 'ports'>,
  target: ProbeTarget,
  purpose: 'probe' | 'lifecycle',
): HttpGetRequest {
  const scheme = (action.scheme ?? 'HTTP').toLowerCase() || 'http';
  const host = probeHost(action.host, target);
  const port = resolveContainerPort(action.port as number | string | undefined, container);
  const url = new URL(action.path ?? '', `${scheme}://${joinHostPort(host, port)}`);
  const headers = new Map<string, string[]>();
  for (const h of action.httpHeaders ?? []) {
    const key = canonicalHeaderKey(h.name);
    headers.set(key, [...(headers.get(key) ?? []), h.value]);
  }
  if (!headers.has('User-Agent')) headers.set('User-Agent', [userAgent(purpose)]);
  if (!headers.has('Accept')) headers.set('Accept', ['*/*']);
  else if ((headers.get('Accept')?.[0] ?? '') === '') headers.delete('Accept');
  return { url, headers };
}

/** The error text Go's client gives for a failed request: `Get "<url>": <cause>`. */
function goError(url: URL, err: NodeJS.ErrnoException, timedOut: boolean): Error {
  const dial = joinHostPort(url.hostname.replace(/^\[|\]$/g, ''), url.port || (url.protocol === 'https:' ? 443 : 80));
  let cause: string;
  if (timedOut) cause = 'context deadline exceeded (Client.Timeout exceeded while awaiting headers)';
  else if (err.code === 'ECONNREFUSED') cause = `dial tcp ${dial}: connect: connection refused`;
  else if (err.code === 'EHOSTUNREACH') cause = `dial tcp ${dial}: connect: no route to host`;
  else if (err.code === 'ECONNRESET') cause = `read tcp ${dial}: read: connection reset by peer`;
  else cause = err.message;
  const e = new Error(`Get ${JSON.stringify(url.href)}: ${cause}`) as NodeJS.ErrnoException;
  e.code = err.code;
  return e;
}

function once(req: HttpGetRequest, url: URL, hostHeader: string | undefined, signal: AbortSignal): Promise<{ status: number; location?: string; body: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of req.headers) if (k !== 'Host') headers[k] = v;
    // Go sends an overridden Host as req.Host, a single value.
    if (hostHeader) headers.Host = hostHeader;
    const mod = url.protocol === 'https:' ? https : http;
    // No keep-alive and no proxy, as the kubelet's probe transport; TLS is not verified (InsecureSkipVerify).
    const r = mod.request(url, { method: 'GET', headers, agent: false, signal, rejectUnauthorized: false }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const done = () => resolve({ status: res.statusCode ?? 0, location: res.headers.location, body: Buffer.concat(chunks).toString('utf8') });
      res.on('data', (c: Buffer) => {
        chunks.push(c.subarray(0, MAX_RESPONSE_BODY - size));
        size += c.length;
        // Past the limit the body is truncated, not an error (utilio.ReadAtMost).
        if (size >= MAX_RESPONSE_BODY) {
          res.destroy();
          done();
        }
      });
      res.on('end', done);
      res.on('error', (err) => (size >= MAX_RESPONSE_BODY ? done() : reject(err)));
    });
    r.on('error', reject);
    r.end();
  });
}

export interface HttpGetOptions {
  /** Client.Timeout over the whole exchange; undefined: none (lifecycle hooks). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * One GET with the kubelet's redirect rule (RedirectChecker(followNonLocalRedirects=false)):
 * redirects to the same host name are followed up to 10 times; one to another host is not
 * followed, and its 3xx response is the answer. So probe traffic never leaves the pod.
 */
export async function httpGet(req: HttpGetRequest, opts: HttpGetOptions = {}): Promise<HttpResponse> {
  const timeout = new AbortController();
  const timer = opts.timeoutMs === undefined ? undefined : setTimeout(() => timeout.abort(), opts.timeoutMs);
  timer?.unref();
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout.signal]) : timeout.signal;
  const first = req.url;
  let url = req.url;
  let hostHeader = req.headers.get('Host')?.[0];
  try {
    for (let hops = 0; ; hops++) {
      let res;
      try {
        res = await once(req, url, hostHeader, signal);
      } catch (err) {
        throw goError(url, err as NodeJS.ErrnoException, timeout.signal.aborted);
      }
      if (!REDIRECT_CODES.has(res.status) || !res.location) return { status: res.status, body: res.body, url };
      const next = new URL(res.location, url);
      if (next.hostname !== first.hostname) return { status: res.status, body: res.body, url };
      if (hops + 1 >= MAX_REDIRECTS) throw new Error(`Get ${JSON.stringify(next.href)}: stopped after ${MAX_REDIRECTS} redirects`);
      // Go keeps an overridden Host only for a relative redirect.
      if (/^[a-z][a-z0-9+.-]*:|^\/\//i.test(res.location)) hostHeader = undefined;
      url = next;
    }
  } finally {
    clearTimeout(timer);
  }
}

/** httpprobe DoHTTPProbe: 2xx succeeds, 3xx (a redirect not followed) is a warning, anything else fails. */
export async function doHttpProbe(req: HttpGetRequest, timeoutMs: number): Promise<CheckOutcome> {
  let res: HttpResponse;
  try {
    res = await httpGet(req, { timeoutMs });
  } catch (err) {
    // Errors are failures, so timeouts count against the threshold.
    return { result: 'failure', output: (err as Error).message };
  }
  if (res.status >= 200 && res.status < 400) {
    if (res.status >= 300) return { result: 'warning', output: `Probe terminated redirects, Response body: ${res.body}` };
    return { result: 'success', output: res.body };
  }
  // Until kubernetes#99425 the failure message must not carry the body.
  return { result: 'failure', output: `HTTP probe failed with statuscode: ${res.status}` };
}
