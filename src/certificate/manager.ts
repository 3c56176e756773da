// The node's client certificate over time: gets the first one through the bootstrap credentials, then (--rotate-certificates) renews it at a jittered 70–90 % of its life with the current one (client-go's certificate manager).
import type { Logger } from 'pino';
import { createPublicKey } from 'node:crypto';
import type { CertificateSigningRequestsClient } from '../kubeclient/types.js';
import { clientUsages, digestedName, generateKey, KUBELET_CLIENT_SIGNER, makeCsr, nodeSubject } from './csr.js';
import { isExpired, type CertKeyPair } from './pair.js';
import { CsrRefusedError, requestCertificate, waitForCertificate } from './request.js';
import type { CertificateStore } from './store.js';

/** certificate manager's certificateWaitTimeout: how long one CSR may wait for approval and signing. */
export const CERTIFICATE_WAIT_TIMEOUT_MS = 15 * 60_000;
/** setTimeout's ceiling is about 24.8 days; a year-long wait is slept in steps. */
const MAX_SLEEP_MS = 24 * 3600_000;

export interface CertificateManagerOptions {
  nodeName: string;
  store: CertificateStore;
  /**
   * The server's kubelet newClientsetFn: the client to send CSRs with — the node's own (its
   * current certificate) when it has one, the bootstrap credentials when not.
   */
  csrClient(current: CertKeyPair | undefined): CertificateSigningRequestsClient;
  /** The certificate to start with; undefined: get one first (bootstrap). */
  initial?: CertKeyPair;
  /** Rotate the initial certificate at once (kubelet: one handed over as inline kubeconfig data). */
  forceRotation?: boolean;
  /** --rotate-certificates: renew before expiry; false: stop once there is a certificate. */
  rotate: boolean;
  /** Every new certificate, once stored: swap the client's credentials, write the kubeconfig. */
  onCertificate(pair: CertKeyPair, bootstrap: boolean): void | Promise<void>;
  logger: Logger;
  now?: () => number;
  /** Resolves after `ms`, or at once when `signal` aborts. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  random?: () => number;
  waitTimeoutMs?: number;
}

/**
 * nextRotationDeadline with jitteryDuration: notBefore + (70 % + 20 % × random) of the validity,
 * so nodes that joined together do not all renew together.
 */
export function rotationDeadline(pair: CertKeyPair, random: number): number {
  const total = pair.notAfter.getTime() - pair.notBefore.getTime();
  return pair.notBefore.getTime() + Math.round(total * (0.7 + 0.2 * random));
}

/** wait.Backoff{Duration: 2s, Factor: 2, Jitter: 0.1, Steps: 5}, then wait.PollInfinite every 32s. */
export function retryDelay(attempt: number, random: number): number {
  return attempt < 4 ? 2000 * 2 ** attempt * (1 + 0.1 * random) : 32_000;
}

const realSleep = (ms: number, signal: AbortSignal) => new Promise<void>((resolve) => {
  const done = () => {
    clearTimeout(timer);
    signal.removeEventListener('abort', done);
    resolve();
  };
  const timer = setTimeout(done, ms);
  signal.addEventListener('abort', done);
});

export class CertificateManager {
  private cert: CertKeyPair | undefined;
  private readonly abort = new AbortController();
  private running: Promise<void> | undefined;
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  private readonly random: () => number;
  /** After a refused bootstrap CSR: its key (hence its digested name) is not asked with again. */
  private freshBootstrapKey = false;

  constructor(private readonly o: CertificateManagerOptions) {
    this.cert = o.initial;
    this.now = o.now ?? Date.now;
    this.sleep = o.sleep ?? realSleep;
    this.random = o.random ?? Math.random;
  }

  /** manager.Current: the certificate in use, undefined when there is none yet or it has expired. */
  current(): CertKeyPair | undefined {
    return this.cert && !isExpired(this.cert, this.now()) ? this.cert : undefined;
  }

  start(): void {
    this.running ??= this.run().catch((err) => this.o.logger.error({ err: (err as Error).message }, 'client certificate manager stopped'));
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    let force = this.o.forceRotation === true;
    while (!signal.aborted) {
      if (this.current() && !this.o.rotate) return;
      if (this.current() && !force) {
        const deadline = rotationDeadline(this.cert!, this.random());
        this.o.logger.info({ expiration: this.cert!.notAfter.toISOString(), rotationDeadline: new Date(deadline).toISOString() }, 'client certificate rotation deadline');
        while (!signal.aborted && this.now() < deadline) await this.sleep(Math.min(deadline - this.now(), MAX_SLEEP_MS), signal);
      }
      force = false;
      for (let attempt = 0; !signal.aborted; attempt++) {
        if (await this.rotateCerts()) break;
        await this.sleep(retryDelay(attempt, this.random()), signal);
      }
    }
  }

  /**
   * manager.rotateCerts (and, with no certificate yet, bootstrap.LoadClientCert's request): a
   * key, a CSR for system:node:<node>, wait for it to be signed, store the pair, hand it over.
   * False (after logging why) when that failed.
   */
  private async rotateCerts(): Promise<boolean> {
    const current = this.current();
    const bootstrap = !current;
    const log = this.o.logger;
    try {
      const keyPem = bootstrap ? this.bootstrapKey() : generateKey();
      const subject = nodeSubject(this.o.nodeName);
      const usages = clientUsages(keyPem);
      const csrPem = await makeCsr(keyPem, subject);
      const client = this.o.csrClient(current);
      const csr = await requestCertificate(client, {
        csrPem,
        // LoadClientCert names a bootstrap CSR after its content; rotation lets the server name it.
        name: bootstrap ? digestedName(keyPem, subject, usages) : undefined,
        signerName: KUBELET_CLIENT_SIGNER,
        usages,
        keyPublicDer: createPublicKey(keyPem).export({ type: 'spki', format: 'der' }),
      });
      log.info({ csr: csr.metadata?.name, bootstrap, commonName: subject.commonName }, 'waiting for the client certificate signing request to be approved and signed');
      const certPem = await waitForCertificate(client, csr, { timeoutMs: this.o.waitTimeoutMs ?? CERTIFICATE_WAIT_TIMEOUT_MS, logger: log, signal: this.abort.signal });
      const pair = this.o.store.update(certPem, keyPem);
      if (bootstrap) this.o.store.removeBootstrapKey();
      this.cert = pair;
      log.info({ csr: csr.metadata?.name, file: this.o.store.currentPath, notAfter: pair.notAfter.toISOString(), serial: pair.serialNumber }, bootstrap ? 'client certificate issued (TLS bootstrap)' : 'client certificate rotated');
      await Promise.resolve(this.o.onCertificate(pair, bootstrap)).catch((err: Error) => log.error({ err: err.message }, 'cannot put the new client certificate to use'));
      return true;
    } catch (err) {
      if (this.abort.signal.aborted) return false;
      if (bootstrap && err instanceof CsrRefusedError) {
        this.o.store.removeBootstrapKey();
        this.freshBootstrapKey = true;
      }
      log.warn({ err: (err as Error).message, bootstrap }, 'failed while requesting a signed client certificate from the control plane; trying again');
      return false;
    }
  }

  /**
   * LoadClientCert's key: the stored (expired) pair's, else the kept bootstrap key, else a new
   * one. Departure: after a refusal the kubelet exits and, restarted, meets the same refused CSR
   * under the same name; we go on with a new key, so the next CSR is a new one.
   */
  private bootstrapKey(): string {
    try {
      const stored = this.freshBootstrapKey ? undefined : this.o.store.current();
      if (stored) return stored.keyPem;
    } catch {
      // an unreadable stored pair: a fresh key, as verifyKeyData rejecting it
    }
    return this.o.store.loadOrGenerateBootstrapKey();
  }
}
