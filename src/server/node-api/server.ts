// The node API (the kubelet's HTTPS port, --port 10250): TLS, authentication and authorization on every request, then the shared endpoints, the node's own ones and the streaming routes.
import type { V1Pod } from '@kubernetes/client-node';
import type http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { HttpRequestObserver } from '../../metrics/http.js';
import { encodePodListJSON } from '../encode.js';
import { serveSharedEndpoint, type EndpointSources, type OpenStreams } from '../endpoints.js';
import { closeServer, listen } from '../read-only-server.js';
import { sendJSON, sendJSONText, sendNotFound, sendText } from '../respond.js';
import { requestAttributes } from './attributes.js';
import type { AuthnRequest, AuthnResult } from './authn.js';
import type { Authorizer } from './authz.js';
import { parseStreamPath, runInContainer, StreamError, streamingURL, type StreamingDeps } from './streaming.js';
import { proxyUpgrade, writeRawResponse } from './stream-proxy.js';
import type { ServingTLS } from './tls.js';

export interface NodeApiServerOptions extends EndpointSources {
  /** --address; mini-kubelet's default is 127.0.0.1 (the kubelet's 0.0.0.0). */
  address: string;
  /** --port (10250). */
  port: number;
  /** Tests: a port the OS picks. */
  anyPort?: boolean;
  tls: ServingTLS;
  nodeName: string;
  authenticator: { authenticate(req: AuthnRequest): Promise<AuthnResult> };
  authorizer: Authorizer;
  streaming: StreamingDeps;
  /** GET /runningpods/. */
  runningPods(): V1Pod[];
  /** GET /spec/. */
  machineSpec(): Promise<unknown>;
  /** GET /configz: the configuration in force, as {kubeletconfig: {...}}. */
  configz(): unknown;
  /** Streams (exec, attach, portForward) open at once; one more is refused with 429. */
  maxStreams?: number;
  requestObserver?: HttpRequestObserver;
}

export interface NodeApiServer {
  port: number;
  /** Streams being set up or proxied now (0 once every client has gone: the leak check). */
  activeStreams(): number;
  close(): Promise<void>;
}

/** Upgraded streams open at once by default: a bound, not a kubelet setting (the kubelet has none). */
export const DEFAULT_MAX_STREAMS = 128;

type Guard = { ok: true } | { ok: false; code: number; text: string };

/** InstallAuthFilter: 401 without a user, 403 without the right, 500 when the authorizer could not answer. */
async function guard(req: http.IncomingMessage, path: string, o: NodeApiServerOptions): Promise<Guard> {
  const a = await o.authenticator.authenticate(req as unknown as AuthnRequest);
  if (!a.ok) {
    o.logger.debug({ path, err: a.error }, 'node API: unauthenticated request');
    return { ok: false, code: 401, text: 'Unauthorized' };
  }
  // The local CLI's certificate is only readable by root on this node, who can already do anything here.
  if (a.local) return { ok: true };
  const attrs = requestAttributes(a.user, o.nodeName, req.method ?? '', path);
  const what = `user=${attrs.user.name}, verb=${attrs.verb}, resource=${attrs.resource}, subresource=${attrs.subresource}`;
  try {
    const d = await o.authorizer.authorize(attrs);
    if (d.decision === 'allow') return { ok: true };
    o.logger.debug({ path, user: attrs.user.name, verb: attrs.verb, subresource: attrs.subresource, reason: d.reason }, 'node API: forbidden');
    return { ok: false, code: 403, text: `Forbidden (${what})` };
  } catch (err) {
    o.logger.error({ err, path, user: attrs.user.name }, 'node API: authorization error');
    return { ok: false, code: 500, text: `Authorization error (${what})` };
  }
}

function methodNotAllowed(res: http.ServerResponse, allow: string): void {
  sendText(res, 405, 'Method Not Allowed', { Allow: allow });
}

async function handle(req: http.IncomingMessage, res: http.ServerResponse, o: NodeApiServerOptions, streams: OpenStreams): Promise<void> {
  // Bodies are never read here: a request that brings one gets its answer and the connection closes.
  if ((req.headers['content-length'] && req.headers['content-length'] !== '0') || req.headers['transfer-encoding']) res.shouldKeepAlive = false;
  const url = new URL(req.url ?? '/', 'https://node-api.invalid');
  const g = await guard(req, url.pathname, o);
  if (!g.ok) return sendText(res, g.code, g.text);
  const getOnly = req.method === 'GET' || req.method === 'HEAD';
  const target = parseStreamPath(url.pathname);
  if (target?.kind === 'run') {
    if (req.method !== 'POST') return methodNotAllowed(res, 'POST');
    try {
      const out = await runInContainer(target, url.searchParams, o.streaming);
      res.writeHead(200, { 'Content-Type': 'application/json' });
      return void res.end(out);
    } catch (err) {
      return sendText(res, err instanceof StreamError ? err.status : 500, (err as Error).message);
    }
  }
  if (target) {
    if (req.method !== 'GET' && req.method !== 'POST') return methodNotAllowed(res, 'GET, POST');
    // UpgradeAwareHandler with upgradeRequired (asked before the runtime is, so no session is made for nothing).
    return sendText(res, 400, 'Upgrade request required');
  }
  if (!getOnly) return methodNotAllowed(res, 'GET');
  if (serveSharedEndpoint(req, res, url, o, streams)) return;
  switch (url.pathname) {
    case '/runningpods/':
      return sendJSONText(res, 200, encodePodListJSON(o.runningPods()));
    case '/spec/':
      return sendJSON(res, 200, await o.machineSpec());
    case '/configz':
      return sendJSON(res, 200, o.configz());
    default:
      return sendNotFound(res);
  }
}

async function handleUpgrade(req: http.IncomingMessage, socket: Duplex, early: Buffer, o: NodeApiServerOptions, active: { n: number }): Promise<void> {
  const url = new URL(req.url ?? '/', 'https://node-api.invalid');
  const g = await guard(req, url.pathname, o);
  if (!g.ok) return writeRawResponse(socket, g.code, g.text);
  const target = parseStreamPath(url.pathname);
  if (!target || target.kind === 'run') return writeRawResponse(socket, 400, `no upgrade is served at ${url.pathname.slice(0, 200)}`);
  if (req.method !== 'GET' && req.method !== 'POST') return writeRawResponse(socket, 405, 'Method Not Allowed');
  if (active.n >= (o.maxStreams ?? DEFAULT_MAX_STREAMS)) return writeRawResponse(socket, 429, 'too many streams open on this node; try again later');
  active.n++;
  const done = o.requestObserver?.(req.method, url.pathname);
  try {
    const isWebSocket = String(req.headers.upgrade ?? '').toLowerCase() === 'websocket';
    const upstream = await streamingURL(target, url.searchParams, isWebSocket, o.streaming);
    await proxyUpgrade(req, socket, early, upstream, { logger: o.logger });
  } catch (err) {
    if (!(err instanceof StreamError)) o.logger.error({ err, path: url.pathname }, 'node API: stream failed');
    writeRawResponse(socket, err instanceof StreamError ? err.status : 500, (err as Error).message);
  } finally {
    active.n--;
    done?.();
  }
}

/** Starts the node API; resolves once it listens. Throws (EADDRINUSE...) when it cannot. */
export async function startNodeApiServer(o: NodeApiServerOptions): Promise<NodeApiServer> {
  const streams: OpenStreams = new Set();
  const active = { n: 0 };
  // Upgraded connections leave the HTTP server's books: close() ends them from here.
  const upgraded = new Set<Duplex>();
  // requestCert without rejectUnauthorized: the TLS layer verifies against the client CAs, and
  // authentication decides (a client with a token, or anonymous, has no certificate to show).
  const server = https.createServer({ key: o.tls.key, cert: o.tls.cert, ca: o.tls.clientCAs, requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.2' });
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const done = o.requestObserver?.(req.method ?? '', new URL(req.url ?? '/', 'https://x.invalid').pathname);
    res.once('close', () => done?.());
    handle(req, res, o, streams).catch((err: unknown) => {
      o.logger.error({ err, path: req.url }, 'node API: request failed');
      if (!res.headersSent) sendText(res, 500, `Internal Error: ${(err as Error)?.message ?? err}`);
      else res.destroy();
    });
  });
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, early: Buffer) => {
    socket.on('error', () => socket.destroy());
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
    void handleUpgrade(req, socket, early, o, active);
  });
  server.on('tlsClientError', (err) => o.logger.debug({ err: err.message }, 'node API: TLS handshake failed'));
  await listen(server, o.anyPort ? 0 : o.port, o.address);
  const port = (server.address() as AddressInfo).port;
  o.logger.info({ address: o.address, port }, 'node API listening (HTTPS)');
  return {
    port,
    activeStreams: () => active.n,
    close: () => {
      for (const s of upgraded) s.destroy();
      return closeServer(server, streams);
    },
  };
}
