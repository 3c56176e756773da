// Service-account tokens for the node's pods through the TokenRequest API, cached and refreshed before they expire (the kubelet's token.Manager).
//
// The projected volume asks for a token on every set-up (each pod sync); the cache answers until
// the token needs a refresh, so the API server sees one TokenRequest per token lifetime, not one
// per sync. A refresh that fails keeps the old token while it is still valid.
import type { AuthenticationV1TokenRequest } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { ServiceAccountsClient } from '../kubeclient/types.js';

/** token_manager.go: maxTTL (refresh a token older than this), gcPeriod, maxJitter. */
export const MAX_TTL_MS = 24 * 3600_000;
export const TOKEN_GC_PERIOD_MS = 60_000;
const MAX_JITTER_SECONDS = 10;

export interface TokenManagerOptions {
  client: ServiceAccountsClient;
  /** Unix ms. */
  clock?: () => number;
  /** In [0, 1): the refresh jitter's draw (tests pin it). */
  random?: () => number;
  logger?: Logger;
}

interface Entry {
  tr: AuthenticationV1TokenRequest;
  /** The pod the token is bound to: its tokens go with it (DeleteServiceAccountToken). */
  podUID?: string;
}

function expirationOf(tr: AuthenticationV1TokenRequest): number {
  const t = tr.status?.expirationTimestamp as Date | string | undefined;
  return t === undefined ? 0 : new Date(t).getTime();
}

/**
 * requiresRefresh: a token is refreshed when it is older than 24 h, or within 20 % of its TTL of
 * expiring (each less a jitter, so the node's tokens do not all renew at once), or when it claims
 * to be issued in the future (the clock leapt back). Without expirationSeconds it never is.
 */
export function requiresRefresh(tr: AuthenticationV1TokenRequest, now: number, jitterMs: number): boolean {
  const seconds = tr.spec?.expirationSeconds;
  if (seconds === undefined || seconds === null) return false;
  const exp = expirationOf(tr);
  const iat = exp - seconds * 1000;
  if (now > iat + MAX_TTL_MS - jitterMs) return true;
  if (now > exp - Math.floor((seconds * 20) / 100) * 1000 - jitterMs) return true;
  return now < iat;
}

/** keyFunc: service account, namespace, audiences, expiry and bound object; nothing secret, safe to log. */
function keyOf(name: string, namespace: string, tr: AuthenticationV1TokenRequest): string {
  const s = tr.spec;
  const ref = s?.boundObjectRef;
  return JSON.stringify([name, namespace, s?.audiences ?? [], s?.expirationSeconds ?? 0, ref ? [ref.apiVersion, ref.kind, ref.name, ref.uid] : []]);
}

export class TokenManager {
  private readonly cache = new Map<string, Entry>();
  private readonly clock: () => number;
  private readonly random: () => number;

  constructor(private readonly opts: TokenManagerOptions) {
    this.clock = opts.clock ?? Date.now;
    this.random = opts.random ?? Math.random;
  }

  /**
   * GetServiceAccountToken: the cached token unless it needs a refresh; else a new one from the
   * API. If that fails, the old token while it is still valid, else the error.
   */
  async getServiceAccountToken(namespace: string, name: string, tr: AuthenticationV1TokenRequest): Promise<AuthenticationV1TokenRequest> {
    const key = keyOf(name, namespace, tr);
    const cached = this.cache.get(key);
    // time.Duration(rand.Float64()*maxJitter.Seconds()) * time.Second: whole seconds.
    const jitterMs = Math.floor(this.random() * MAX_JITTER_SECONDS) * 1000;
    if (cached && !requiresRefresh(cached.tr, this.clock(), jitterMs)) return cached.tr;
    let fresh: AuthenticationV1TokenRequest;
    try {
      fresh = await this.opts.client.createToken(namespace, name, tr);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (!cached) throw new Error(`failed to fetch token: ${message}`);
      if (this.expired(cached.tr)) throw new Error(`token ${key} expired and refresh failed: ${message}`);
      this.opts.logger?.error({ cacheKey: key, err: message }, "couldn't update token");
      return cached.tr;
    }
    this.cache.set(key, { tr: fresh, podUID: fresh.spec?.boundObjectRef?.uid ?? tr.spec?.boundObjectRef?.uid });
    return fresh;
  }

  /** DeleteServiceAccountToken: the pod is gone, so are its tokens. */
  deleteServiceAccountToken(podUID: string): void {
    for (const [k, e] of this.cache) if (e.podUID === podUID) this.cache.delete(k);
  }

  /** cleanup, every TOKEN_GC_PERIOD_MS: expired tokens go (a pod that vanished without a tear-down). */
  cleanup(): void {
    for (const [k, e] of this.cache) if (this.expired(e.tr)) this.cache.delete(k);
  }

  /** How many tokens are cached (for tests and logs). */
  size(): number {
    return this.cache.size;
  }

  private expired(tr: AuthenticationV1TokenRequest): boolean {
    return this.clock() > expirationOf(tr);
  }
}
