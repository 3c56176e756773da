// The client's TLS credentials as one swappable keep-alive agent: requests take the current one, a new client certificate replaces it without a restart.
//
// The kubelet's rotating transport (pkg/kubelet/certificate/transport.go, addCertRotation) reads
// the certificate manager's current certificate at each TLS handshake and, once it changes,
// closes every connection so that all requests re-handshake with it. We build a new agent per
// certificate instead: new requests and new watches go out on it at once; the old agent's idle
// sockets are closed at once and the rest (a request still in flight, a running watch) after a
// grace period, so a watch ends, its owner reconnects as after any watch end, and the new
// connection carries the new certificate.
import https from 'node:https';
import { KubeApiError } from './errors.js';

/** What a kubeconfig gives besides a client certificate: the server, its CA, extra headers (a bearer token). */
export interface ServerMaterial {
  server: string;
  ca?: Buffer | string;
  skipTLSVerify?: boolean;
  servername?: string;
  headers: Record<string, string>;
}

export interface ClientCertificate {
  cert: Buffer | string;
  key: Buffer | string;
}

/** One generation of credentials: the agent requests go out on, and the headers they carry. */
export interface Credentials {
  agent: https.Agent;
  headers: Record<string, string>;
}

/** The part of client-node's KubeConfig that its Watch uses. */
export interface WatchConfig {
  getCurrentCluster(): { server: string } | null;
  applyToFetchOptions(opts: object): Promise<{ agent: https.Agent; headers: Headers }>;
}

export class ClientCredentials {
  private currentCreds: Credentials | undefined;
  private waiters: Array<() => void> = [];
  private readonly retiring = new Set<{ agent: https.Agent; timer: NodeJS.Timeout }>();
  private closed = false;

  /**
   * `certificate`: the client certificate to start with (undefined: none, e.g. a bearer token in
   * the headers), or 'pending' when none exists yet (TLS bootstrap): requests then wait for
   * setClientCertificate, each at most its deadline.
   */
  constructor(
    private readonly material: ServerMaterial,
    certificate: ClientCertificate | 'pending' | undefined,
    private readonly graceMs: number,
  ) {
    if (certificate !== 'pending') this.currentCreds = this.build(certificate);
  }

  get server(): string {
    return this.material.server;
  }

  /** The credentials to send a request with, waiting up to `timeoutMs` while the first certificate is pending. */
  async ready(timeoutMs: number): Promise<Credentials> {
    if (this.currentCreds) return this.currentCreds;
    if (this.closed) throw new KubeApiError(0, 'Unavailable', 'the client is closed');
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.waiters.push(done);
    });
    if (this.currentCreds) return this.currentCreds;
    throw new KubeApiError(0, 'Unavailable', 'no client certificate yet: the TLS bootstrap has not been signed');
  }

  /** Swaps in a new client certificate: new requests use it at once; the old agent is retired (see the file's header). */
  setClientCertificate(certificate: ClientCertificate): void {
    if (this.closed) return;
    const old = this.currentCreds;
    this.currentCreds = this.build(certificate);
    for (const wake of this.waiters.splice(0)) wake();
    if (old) this.retire(old.agent);
  }

  /** What client-node's Watch needs, answering with the current credentials. */
  watchConfig(timeoutMs: number): WatchConfig {
    return {
      getCurrentCluster: () => ({ server: this.material.server }),
      applyToFetchOptions: async () => {
        const c = await this.ready(timeoutMs);
        return { agent: c.agent, headers: new Headers(c.headers) };
      },
    };
  }

  /** Closes every connection, current and retiring. */
  close(): void {
    this.closed = true;
    for (const wake of this.waiters.splice(0)) wake();
    this.currentCreds?.agent.destroy();
    for (const r of this.retiring) {
      clearTimeout(r.timer);
      r.agent.destroy();
    }
    this.retiring.clear();
  }

  private build(certificate: ClientCertificate | undefined): Credentials {
    const m = this.material;
    const agent = new https.Agent({
      keepAlive: true,
      ca: m.ca,
      ...(certificate ? { cert: certificate.cert, key: certificate.key } : {}),
      ...(m.skipTLSVerify ? { rejectUnauthorized: false } : {}),
      ...(m.servername ? { servername: m.servername } : {}),
    });
    return { agent, headers: m.headers };
  }

  private retire(agent: https.Agent): void {
    for (const sockets of Object.values(agent.freeSockets)) for (const s of sockets ?? []) s.destroy();
    const entry = {
      agent,
      timer: setTimeout(() => {
        this.retiring.delete(entry);
        agent.destroy();
      }, this.graceMs),
    };
    entry.timer.unref();
    this.retiring.add(entry);
  }
}
