// Authentication on the node API as the kubelet's delegating authenticator: x509 client certificates, bearer tokens through TokenReview (cached), then anonymous only when enabled.
import { createHash, type X509Certificate } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { PeerCertificate } from 'node:tls';
import type { TokenReviewsClient } from '../../kubeclient/types.js';
import type { UserInfo } from './attributes.js';
import { TtlCache } from './ttl-cache.js';

/** What authentication reads of a request: its headers and its TLS socket. */
export interface AuthnRequest {
  headers: IncomingHttpHeaders;
  socket: {
    authorized?: boolean;
    authorizationError?: Error | string;
    getPeerCertificate?(detailed?: boolean): PeerCertificate | object;
    getPeerX509Certificate?(): X509Certificate | undefined;
  };
}

/** ok: who; `local` when the certificate is the local CLI's. Not ok is a 401 either way; `error` says why, for the log. */
export type AuthnResult = { ok: true; user: UserInfo; local: boolean } | { ok: false; error?: string };

export interface AuthenticatorOptions {
  /** The CA of the local CLI's certificate (tls.ts). */
  localCA?: X509Certificate;
  /** authentication.webhook.enabled: bearer tokens are asked of the API server. */
  tokenReviews?: TokenReviewsClient;
  /** authentication.webhook.cacheTTL (kubelet default 2m): answers, yes or no, are kept this long. */
  tokenCacheTtlMs: number;
  /** authentication.anonymous.enabled. */
  anonymous: boolean;
  now?: () => number;
}

export const ANONYMOUS: UserInfo = { name: 'system:anonymous', groups: ['system:unauthenticated'] };
const AUTHENTICATED_GROUP = 'system:authenticated';
/** A TokenReview's error text can be long; the log keeps this much. */
const MAX_ERROR = 256;

type Step = { user: UserInfo; local?: boolean } | { error: string } | undefined;

const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

export class NodeApiAuthenticator {
  private readonly cache: TtlCache<UserInfo | null>;
  private readonly inFlight = new Map<string, Promise<UserInfo | null>>();

  constructor(private readonly o: AuthenticatorOptions) {
    this.cache = new TtlCache(4096, o.now);
  }

  /** unionauth over [x509, bearer token], the authenticated group added, then anonymous unless a step failed with an error (NewFailOnError). */
  async authenticate(req: AuthnRequest): Promise<AuthnResult> {
    const errors: string[] = [];
    for (const step of [() => this.x509(req), () => this.bearer(req)]) {
      const r = await step();
      if (!r) continue;
      if ('error' in r) {
        errors.push(r.error);
        continue;
      }
      // group.NewAuthenticatedGroupAdder.
      const groups = r.user.groups.includes(AUTHENTICATED_GROUP) ? r.user.groups : [...r.user.groups, AUTHENTICATED_GROUP];
      return { ok: true, user: { ...r.user, groups }, local: r.local === true };
    }
    if (errors.length) return { ok: false, error: errors.join('; ').slice(0, MAX_ERROR) };
    if (this.o.anonymous) return { ok: true, user: ANONYMOUS, local: false };
    return { ok: false };
  }

  /**
   * x509.Authenticator with CommonNameUserConversion: CN is the user, O the groups. The TLS layer
   * verified the chain against the client CAs; a certificate it could not verify is an error.
   */
  private x509(req: AuthnRequest): Step {
    const peer = req.socket.getPeerX509Certificate?.();
    if (!peer) return undefined;
    if (!req.socket.authorized) {
      const why = req.socket.authorizationError ?? 'unknown';
      return { error: `verifying certificate ${peer.subject.replace(/\n/g, ',')} failed: ${String(why)}` };
    }
    const subject = (req.socket.getPeerCertificate?.(false) as PeerCertificate | undefined)?.subject;
    const name = list(subject?.CN)[0];
    if (!name) return { error: 'the client certificate names no common name' };
    const local = !!this.o.localCA && peer.checkIssued(this.o.localCA) && peer.verify(this.o.localCA.publicKey);
    return { user: { name, groups: list(subject?.O) }, local };
  }

  /** bearertoken.Authenticator over the cached TokenReview webhook; no webhook, no token authentication. */
  private async bearer(req: AuthnRequest): Promise<Step> {
    const reviews = this.o.tokenReviews;
    if (!reviews) return undefined;
    const auth = String(req.headers.authorization ?? '').trim();
    const parts = auth.split(' ');
    if (parts.length < 2 || parts[0]!.toLowerCase() !== 'bearer') return undefined;
    const token = parts[1]!;
    if (!token) return { error: 'invalid bearer token' };
    const key = createHash('sha256').update(token).digest('hex');
    let user = this.cache.get(key);
    if (user === undefined) {
      let pending = this.inFlight.get(key);
      if (!pending) {
        pending = this.review(reviews, token, key).finally(() => this.inFlight.delete(key));
        this.inFlight.set(key, pending);
      }
      try {
        user = await pending;
      } catch (err) {
        return { error: `token review failed: ${(err as Error).message}` };
      }
    }
    return user ? { user } : { error: 'invalid bearer token' };
  }

  /** One TokenReview; a yes and a no are both cached, a failed call is not. */
  private async review(reviews: TokenReviewsClient, token: string, key: string): Promise<UserInfo | null> {
    const r = await reviews.create({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } });
    const u = r.status?.user;
    const user: UserInfo | null = r.status?.authenticated && u?.username
      ? { name: u.username, ...(u.uid ? { uid: u.uid } : {}), groups: u.groups ?? [], ...(u.extra ? { extra: u.extra } : {}) }
      : null;
    this.cache.set(key, user, this.o.tokenCacheTtlMs);
    return user;
  }
}
