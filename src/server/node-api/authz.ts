// Authorization on the node API: AlwaysAllow, or Webhook, a SubjectAccessReview per attributes with the kubelet's cache (allowed 5m, not allowed 30s by default).
import type { V1SubjectAccessReviewSpec } from '@kubernetes/client-node';
import type { SubjectAccessReviewsClient } from '../../kubeclient/types.js';
import type { RequestAttributes } from './attributes.js';
import { TtlCache } from './ttl-cache.js';

export type AuthorizationMode = 'AlwaysAllow' | 'Webhook';
export type Decision = 'allow' | 'deny' | 'noOpinion';

export interface Authorizer {
  /** Throws when no answer could be had (the kubelet answers 500 then). */
  authorize(a: RequestAttributes): Promise<{ decision: Decision; reason: string }>;
}

export const alwaysAllow: Authorizer = { authorize: async () => ({ decision: 'allow', reason: '' }) };

export interface WebhookAuthorizerOptions {
  reviews: SubjectAccessReviewsClient;
  /** authorization.webhook.cacheAuthorizedTTL (kubelet default 5m). */
  allowTtlMs: number;
  /** authorization.webhook.cacheUnauthorizedTTL (kubelet default 30s). */
  denyTtlMs: number;
  now?: () => number;
}

/** The review's spec: the user as authenticated, the attributes as a resource request. */
export function subjectAccessReviewSpec(a: RequestAttributes): V1SubjectAccessReviewSpec {
  return {
    user: a.user.name,
    ...(a.user.uid ? { uid: a.user.uid } : {}),
    groups: a.user.groups,
    ...(a.user.extra ? { extra: a.user.extra } : {}),
    resourceAttributes: {
      namespace: a.namespace,
      verb: a.verb,
      group: a.apiGroup,
      version: a.apiVersion,
      resource: a.resource,
      subresource: a.subresource,
      name: a.name,
    },
  };
}

/** The webhook authorizer (k8s.io/apiserver webhook.WebhookAuthorizer) over the SubjectAccessReview API. */
export class WebhookAuthorizer implements Authorizer {
  private readonly cache: TtlCache<{ decision: Decision; reason: string }>;

  constructor(private readonly o: WebhookAuthorizerOptions) {
    this.cache = new TtlCache(4096, o.now);
  }

  async authorize(a: RequestAttributes): Promise<{ decision: Decision; reason: string }> {
    const spec = subjectAccessReviewSpec(a);
    const key = JSON.stringify(spec);
    const cached = this.cache.get(key);
    if (cached) return cached;
    const r = await this.o.reviews.create({ apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec });
    const s = r.status;
    const decision: Decision = s?.allowed ? 'allow' : s?.denied ? 'deny' : 'noOpinion';
    const answer = { decision, reason: s?.reason ?? '' };
    this.cache.set(key, answer, decision === 'allow' ? this.o.allowTtlMs : this.o.denyTtlMs);
    return answer;
  }
}
