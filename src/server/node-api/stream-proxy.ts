// Proxies an upgraded HTTP connection (SPDY or WebSocket) to the runtime's streaming server, as the kubelet's proxyStream (UpgradeAwareHandler with upgradeRequired): protocol-agnostic bytes both ways.
import http from 'node:http';
import type { Duplex } from 'node:stream';
import type { ServerLogger } from '../types.js';

export interface StreamProxyOptions {
  logger: ServerLogger;
  /** How long the streaming server may take to answer the upgrade. */
  upgradeTimeoutMs?: number;
  /** After one side closes, how long the other may take to flush and close before it is cut. */
  lingerMs?: number;
}

/** An error answer from the streaming server is passed on; at most this much of its body. */
const MAX_ERROR_BODY = 64 * 1024;
/** Credentials meant for the node API never go on to the runtime. */
const DROPPED = new Set(['authorization', 'proxy-authorization', 'host']);

/** The response head as it goes on the wire: status line, header lines as received, blank line. */
function head(code: number, message: string, rawHeaders: string[]): string {
  let out = `HTTP/1.1 ${code} ${message}\r\n`;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) out += `${rawHeaders[i]}: ${rawHeaders[i + 1]}\r\n`;
  return out + '\r\n';
}

/** A complete plain-text response on a raw socket, then the socket ends. */
export function writeRawResponse(socket: Duplex, code: number, text: string, contentType = 'text/plain; charset=utf-8'): void {
  if (socket.destroyed) return;
  const body = Buffer.from(text);
  socket.end(
    Buffer.concat([
      Buffer.from(head(code, http.STATUS_CODES[code] ?? 'Error', ['Content-Type', contentType, 'Content-Length', String(body.length), 'Connection', 'close'])),
      body,
    ]),
  );
}

/**
 * Sends the client's upgrade request (method, headers: Connection, Upgrade, Sec-WebSocket-*,
 * X-Stream-Protocol-Version, ...) to `target` and, when the runtime switches protocols, pipes the
 * two connections together. A refusal of 400 or more is passed on as it came; anything else is a
 * 500. Resolves once both connections are closed: nothing is left open behind a dropped client.
 */
export function proxyUpgrade(req: http.IncomingMessage, client: Duplex, early: Buffer, target: URL, o: StreamProxyOptions): Promise<void> {
  return new Promise<void>((resolve) => {
    const headers: http.OutgoingHttpHeaders = {};
    // Repeated headers (kubectl sends one X-Stream-Protocol-Version line per protocol) stay repeated.
    for (const [name, values] of Object.entries(req.headersDistinct)) if (!DROPPED.has(name) && values) headers[name] = values;
    const up = http.request({
      host: target.hostname,
      port: target.port,
      method: req.method,
      path: target.pathname + target.search,
      headers,
      agent: false,
    });
    let settled = false;
    const finish = () => {
      if (!settled) (settled = true), resolve();
    };
    const fail = (code: number, text: string) => {
      writeRawResponse(client, code, text);
      up.destroy();
      finish();
    };
    // A client that leaves before the runtime answers takes the request with it.
    const onEarlyClose = () => {
      up.destroy();
      finish();
    };
    client.once('close', onEarlyClose);
    up.setTimeout(o.upgradeTimeoutMs ?? 30_000, () => up.destroy(new Error('the streaming server did not answer the upgrade in time')));
    up.on('error', (err) => fail(500, `error proxying to the container runtime's streaming server: ${err.message}`));
    up.on('response', (res) => {
      if (res.statusCode === undefined || res.statusCode < 400) {
        res.destroy();
        fail(500, `invalid upgrade response: status code ${res.statusCode}`);
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        if (size < MAX_ERROR_BODY) chunks.push(c.subarray(0, MAX_ERROR_BODY - size));
        size += c.length;
        if (size >= MAX_ERROR_BODY) res.destroy();
      });
      const send = () => {
        client.off('close', onEarlyClose);
        writeRawResponse(client, res.statusCode!, Buffer.concat(chunks).toString(), String(res.headers['content-type'] ?? 'text/plain; charset=utf-8'));
        finish();
      };
      res.once('end', send);
      res.once('close', () => !settled && send());
    });
    up.on('upgrade', (res, upstream, upstreamHead) => {
      client.off('close', onEarlyClose);
      if (client.destroyed) {
        upstream.destroy();
        finish();
        return;
      }
      client.write(head(101, res.statusMessage || 'Switching Protocols', res.rawHeaders));
      if (upstreamHead.length) client.write(upstreamHead);
      if (early.length) upstream.write(early);
      pipeBoth(client, upstream, o.lingerMs ?? 10_000, finish);
    });
    up.end();
  });
}

/**
 * Bytes both ways. The end of one direction ends the other (a half-close passes through); once
 * either side is closed, the other gets lingerMs to flush and close before it is destroyed.
 */
function pipeBoth(a: Duplex, b: Duplex, lingerMs: number, done: () => void): void {
  a.pipe(b);
  b.pipe(a);
  let closed = 0;
  const onClose = (other: Duplex) => () => {
    if (!other.destroyed) {
      // Nothing can reach the closed side any more: what still comes from the other is dropped, so
      // its end is read and it closes (a paused socket would wait for lingerMs).
      other.resume();
      other.end();
      setTimeout(() => other.destroy(), lingerMs).unref();
    }
    if (++closed === 2) done();
  };
  a.once('close', onClose(b));
  b.once('close', onClose(a));
  // pipe() does not pass errors on: an error closes its own side, and the close handler the other.
  a.on('error', () => a.destroy());
  b.on('error', () => b.destroy());
}
