// Service-account tokens in e2e tests: a JWT's claims, and the API server's TokenReview of it.
import { AuthenticationV1Api, type V1TokenReviewStatus } from '@kubernetes/client-node';
import type { Cluster } from './cluster.js';

export interface TokenClaims {
  iat: number;
  exp: number;
  aud: string[];
  'kubernetes.io': { namespace: string; pod: { name: string; uid: string } };
}

/** A JWT's claims (the token is signed by the API server; TokenReview checks it, this only reads it). */
export function tokenClaims(token: string): TokenClaims {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
}

/** The admin's TokenReview of `token`, for `audiences` (absent: the API server's own). */
export async function reviewToken(cluster: Cluster, token: string, audiences?: string[]): Promise<V1TokenReviewStatus> {
  const auth = cluster.kubeConfig.makeApiClient(AuthenticationV1Api);
  const spec = audiences ? { token, audiences } : { token };
  return (await auth.createTokenReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec } })).status!;
}
