// The node API's flags (the kubelet's HTTPS port: TLS, authentication, authorization), named and defaulted as the kubelet's, and the check of how they combine.
import { Option, type Command } from 'commander';
import { bool, duration } from './flag-values.js';

export type AuthorizationModeFlag = 'AlwaysAllow' | 'Webhook';

export interface NodeApiRunOptions {
  /** --enable-server: serve the node API at all (the kubelet's default, true). */
  enableServer: boolean;
  tlsCertFile?: string;
  tlsPrivateKeyFile?: string;
  /** --cert-dir; unset means <root-dir>/pki. */
  certDir?: string;
  clientCaFile?: string;
  /** Unset: false. */
  anonymousAuth?: boolean;
  /** Unset: true with --kubeconfig, false without. */
  authenticationTokenWebhook?: boolean;
  authenticationTokenWebhookCacheTtl: number;
  /** Unset: Webhook with --kubeconfig, AlwaysAllow without. */
  authorizationMode?: AuthorizationModeFlag;
  authorizationWebhookCacheAuthorizedTtl: number;
  authorizationWebhookCacheUnauthorizedTtl: number;
}


export function parseAuthorizationMode(v: string): AuthorizationModeFlag {
  if (v !== 'AlwaysAllow' && v !== 'Webhook') throw new Error(`unsupported authorization mode ${JSON.stringify(v)}: AlwaysAllow or Webhook`);
  return v;
}

export function addNodeApiOptions(program: Command): Command {
  return program
    .option('--enable-server <bool>', 'serve the node API (HTTPS on --address:--port: logs, exec, attach, port-forward, stats, metrics)', bool, true)
    .option('--tls-cert-file <file>', 'the node API\'s serving certificate (with intermediates after it); without it and --tls-private-key-file, a self-signed pair is made in --cert-dir')
    .option('--tls-private-key-file <file>', 'the key of --tls-cert-file')
    .option('--cert-dir <dir>', 'where the self-signed serving pair (kubelet.crt, kubelet.key), the client certificate from --bootstrap-kubeconfig or --rotate-certificates (kubelet-client-current.pem) and the local CLI\'s credentials (local-ca.crt, local-client.crt/.key, root only) live (default: <root-dir>/pki)')
    .option('--client-ca-file <file>', 'client certificates signed by a CA in this bundle authenticate to the node API as their CN, in the groups of their O (the local CLI\'s CA is always trusted too)')
    .option('--anonymous-auth <bool>', 'let requests that no authenticator rejects in as system:anonymous (default false; the kubelet\'s flag defaults to true, its config file to false)', bool)
    .option('--authentication-token-webhook <bool>', 'authenticate bearer tokens with a TokenReview to the API server (default: true with --kubeconfig; needs it)', bool)
    .addOption(duration('--authentication-token-webhook-cache-ttl <duration>', 'how long TokenReview answers are kept', '2m'))
    .addOption(new Option('--authorization-mode <mode>', 'AlwaysAllow, or Webhook: a SubjectAccessReview to the API server per request (nodes/proxy, nodes/stats, nodes/log, nodes/metrics, nodes/spec) (default: Webhook with --kubeconfig, AlwaysAllow without)').argParser(parseAuthorizationMode))
    .addOption(duration('--authorization-webhook-cache-authorized-ttl <duration>', 'how long an allowed SubjectAccessReview is kept', '5m'))
    .addOption(duration('--authorization-webhook-cache-unauthorized-ttl <duration>', 'how long a refused SubjectAccessReview is kept', '30s'));
}

/** What the node API's authentication and authorization are once the flags are put together. */
export interface NodeApiAuth {
  anonymous: boolean;
  tokenWebhook: boolean;
  mode: AuthorizationModeFlag;
  /** Said once at start: a combination that works but is risky. */
  warnings: string[];
}

/**
 * The defaults follow the kubelet's config file (anonymous off, webhooks on) where a cluster is
 * there to ask, and x509 with AlwaysAllow where none is: then only holders of a client certificate
 * get in. The webhooks ask the API server, so without --kubeconfig asking for one is an error.
 */
export function resolveNodeApiAuth(o: NodeApiRunOptions & { kubeconfig?: string; address: string }): NodeApiAuth {
  const cluster = !!o.kubeconfig;
  const anonymous = o.anonymousAuth ?? false;
  const tokenWebhook = o.authenticationTokenWebhook ?? cluster;
  const mode = o.authorizationMode ?? (cluster ? 'Webhook' : 'AlwaysAllow');
  if (tokenWebhook && !cluster) throw new Error('--authentication-token-webhook=true (authentication.webhook.enabled) needs --kubeconfig: a TokenReview asks the API server');
  if (mode === 'Webhook' && !cluster) throw new Error('--authorization-mode=Webhook (authorization.mode) needs --kubeconfig: a SubjectAccessReview asks the API server; use AlwaysAllow without a cluster');
  const warnings: string[] = [];
  if (anonymous && mode === 'AlwaysAllow') warnings.push(`--anonymous-auth=true with --authorization-mode=AlwaysAllow: anyone who reaches ${o.address} can exec into every container`);
  return { anonymous, tokenWebhook, mode, warnings };
}
