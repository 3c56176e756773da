// The local CLI's way into the agent's node API: the credentials the agent made in --cert-dir, GET /pods, and a channel WebSocket (client-node's handler) for exec and port-forward.
// Types only: client-node (~70 MB RSS, seconds to load) is imported when a channel opens, so the
// agent, whose CLI registers exec and port-forward, never loads it in static mode.
import type { KubeConfig, V1Pod } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import type WebSocket from 'isomorphic-ws';
import { CERT_FILES } from '../server/node-api/tls.js';

export const DEFAULT_NODE_API = 'https://127.0.0.1:10250';
export const DEFAULT_CERT_DIR = '/var/lib/mini-kubelet/pki';

/** Where the agent is and how to prove to it that this is the local CLI. */
export interface NodeApiConnection {
  server: string;
  /** The agent's --cert-dir: its self-signed kubelet.crt, and local-client.crt/.key (root only). */
  certDir: string;
  /** The CA to check the agent's serving certificate with (default: <cert-dir>/kubelet.crt). */
  certificateAuthority?: string;
}

/** No way in: the message says what to do. */
export class NodeApiClientError extends Error {}

function files(c: NodeApiConnection) {
  return {
    ca: c.certificateAuthority ?? path.join(c.certDir, CERT_FILES.servingCert),
    cert: path.join(c.certDir, CERT_FILES.localClientCert),
    key: path.join(c.certDir, CERT_FILES.localClientKey),
  };
}

function read(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const hint = e.code === 'EACCES' ? ' (the local credentials are root only: run as root)' : ' (is the agent running with this --cert-dir?)';
    throw new NodeApiClientError(`cannot read ${what} ${file}: ${e.code ?? e.message}${hint}`);
  }
}

function tlsOptions(c: NodeApiConnection) {
  const f = files(c);
  return { ca: read(f.ca, 'the CA'), cert: read(f.cert, 'the client certificate'), key: read(f.key, 'the client key') };
}

/** GET path as the local CLI; the body as text, or an error naming the status. */
export function getText(c: NodeApiConnection, urlPath: string): Promise<string> {
  const url = new URL(urlPath, c.server);
  const tls = tlsOptions(c);
  return new Promise((resolve, reject) => {
    const req = https.get(url, { ...tls, timeout: 30_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        if (body.length < 16 << 20) body += d;
      });
      res.on('end', () => {
        if (res.statusCode === 200) resolve(body);
        else reject(new NodeApiClientError(`the node API at ${c.server} answered ${res.statusCode} for ${url.pathname}: ${body.trim().slice(0, 500)}`));
      });
    });
    req.on('timeout', () => req.destroy(new Error('no answer in 30s')));
    req.on('error', (err) => reject(new NodeApiClientError(`cannot reach the node API at ${c.server}: ${err.message} (is the agent running? --server)`)));
  });
}

export async function nodeApiPods(c: NodeApiConnection): Promise<V1Pod[]> {
  return (JSON.parse(await getText(c, '/pods')) as { items?: V1Pod[] }).items ?? [];
}

function kubeConfig(c: NodeApiConnection, KubeConfigClass: new () => KubeConfig): KubeConfig {
  const f = files(c);
  // Read here so that a missing file is our clear error, not the WebSocket's.
  tlsOptions(c);
  const kc = new KubeConfigClass();
  kc.loadFromOptions({
    clusters: [{ name: 'node', server: c.server, caFile: f.ca }],
    users: [{ name: 'local', certFile: f.cert, keyFile: f.key }],
    contexts: [{ name: 'local', cluster: 'node', user: 'local' }],
    currentContext: 'local',
  });
  return kc;
}

/**
 * A channel WebSocket to a node API path (/exec/..., /portForward/...). client-node offers
 * v5.channel.k8s.io first, then v4 and older; the runtime picks (containerd 1.6: v4). `onData`
 * gets each binary message's channel and payload.
 */
export async function openChannel(c: NodeApiConnection, urlPath: string, onData: (channel: number, data: Buffer) => void): Promise<WebSocket> {
  const { Exec, KubeConfig } = await import('@kubernetes/client-node');
  const handler = new Exec(kubeConfig(c, KubeConfig)).handler;
  try {
    return await handler.connect(urlPath, null, (channel: number, data: Buffer) => {
      onData(channel, data);
      return true;
    });
  } catch (err) {
    const e = err as { message?: string; error?: Error };
    throw new NodeApiClientError(`cannot open ${urlPath.split('?')[0]} on ${c.server}: ${e.message ?? e.error?.message ?? String(err)}`);
  }
}
