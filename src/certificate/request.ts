// Sends a CertificateSigningRequest and waits, bounded, for the controller manager to approve and sign it (client-go's csr.RequestCertificate and csr.WaitForCertificate).
import type { V1CertificateSigningRequest } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { truncate } from '../bounded.js';
import { isAlreadyExists, isNotFound } from '../kubeclient/errors.js';
import type { CertificateSigningRequestsClient, WatchHandle } from '../kubeclient/types.js';
import { describeCsr } from './csr.js';

export interface CertificateRequest {
  csrPem: string;
  /** A fixed name (bootstrap: the digested name); without one the server names it "csr-<random>". */
  name?: string;
  signerName: string;
  usages: string[];
  /** The key the CSR was made with, to check a CSR that already exists under `name` (ensureCompatible). */
  keyPublicDer: Buffer;
}

/** csr.RequestCertificate: creates the CSR, or takes the one already under its fixed name if it was made with the same key and signer. */
export async function requestCertificate(client: CertificateSigningRequestsClient, r: CertificateRequest): Promise<V1CertificateSigningRequest> {
  const body: V1CertificateSigningRequest = {
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: r.name ? { name: r.name } : { generateName: 'csr-' },
    spec: { request: Buffer.from(r.csrPem).toString('base64'), signerName: r.signerName, usages: r.usages },
  };
  try {
    return await client.create(body);
  } catch (err) {
    if (!(r.name && isAlreadyExists(err))) throw err;
  }
  const existing = await client.get(r.name);
  await ensureCompatible(existing, r);
  return existing;
}

/** csr.ensureCompatible: same subject and signer, signed by our key, and no expired certificate in it. */
async function ensureCompatible(existing: V1CertificateSigningRequest, r: CertificateRequest): Promise<void> {
  const theirs = describeCsr(Buffer.from(existing.spec.request, 'base64').toString());
  const ours = describeCsr(r.csrPem);
  if (theirs.subject !== ours.subject) throw new Error(truncate(`the existing CSR ${r.name} is not compatible: subjects differ (${theirs.subject} vs ${ours.subject})`));
  if (existing.spec.signerName !== r.signerName) throw new Error(truncate(`the existing CSR ${r.name} is not compatible: signer ${existing.spec.signerName}, not ${r.signerName}`));
  if (!theirs.publicKey.equals(r.keyPublicDer) || !(await theirs.signatureValid)) throw new Error(`the existing CSR ${r.name} is not compatible: made with another key`);
}

/** The CSR was denied or failed: asking again with the same request gets the same answer. */
export class CsrRefusedError extends Error {}

export interface WaitOptions {
  timeoutMs: number;
  logger: Logger;
  /** How often "still waiting" is logged. */
  progressEveryMs?: number;
  signal?: AbortSignal;
}

/** What a CSR's status says: issued (the PEM), denied or failed (why), or not yet. */
export function csrOutcome(csr: V1CertificateSigningRequest): { issued: string } | { refused: string } | { approved: boolean } {
  let approved = false;
  for (const c of csr.status?.conditions ?? []) {
    // The condition's text is whoever denied it's: bounded before it reaches a log line.
    if (c.type === 'Denied') return { refused: truncate(`certificate signing request is denied, reason: ${c.reason ?? ''}, message: ${c.message ?? ''}`) };
    if (c.type === 'Failed') return { refused: truncate(`certificate signing request failed, reason: ${c.reason ?? ''}, message: ${c.message ?? ''}`) };
    if (c.type === 'Approved') approved = true;
  }
  if (approved && csr.status?.certificate) return { issued: Buffer.from(csr.status.certificate, 'base64').toString() };
  return { approved };
}

/**
 * csr.WaitForCertificate: reads the CSR, then watches it (by name) until it is issued, refused,
 * deleted or replaced (another UID), or `timeoutMs` passes; every wake-up reads it again, so a
 * dropped watch loses nothing. Resolves to the certificate's PEM; throws why not.
 */
export async function waitForCertificate(client: CertificateSigningRequestsClient, csr: V1CertificateSigningRequest, o: WaitOptions): Promise<string> {
  const name = csr.metadata!.name!;
  const started = Date.now();
  const deadline = started + o.timeoutMs;
  const every = o.progressEveryMs ?? 30_000;
  let nextProgress = started + every;
  let saidApproved = false;
  while (true) {
    if (o.signal?.aborted) throw new Error('stopped');
    const current = await client.get(name).catch((err) => {
      if (isNotFound(err)) throw new Error(`csr "${name}" was deleted`);
      o.logger.warn({ csr: name, err: err.message }, 'cannot read the certificate signing request; trying again');
      return undefined;
    });
    if (current) {
      if (current.metadata?.uid !== csr.metadata?.uid) throw new Error(`csr "${name}" changed UIDs`);
      const outcome = csrOutcome(current);
      if ('issued' in outcome) return outcome.issued;
      if ('refused' in outcome) throw new CsrRefusedError(outcome.refused);
      if (outcome.approved && !saidApproved) o.logger.info({ csr: name }, 'certificate signing request is approved, waiting to be issued');
      saidApproved ||= outcome.approved;
    }
    const now = Date.now();
    if (now >= deadline) throw new Error(`timed out after ${Math.round(o.timeoutMs / 1000)}s waiting for csr "${name}" to be approved and signed`);
    if (now >= nextProgress) {
      o.logger.info({ csr: name, waitedSeconds: Math.round((now - started) / 1000), approved: saidApproved }, 'still waiting for the certificate signing request to be approved and signed');
      nextProgress = now + every;
    }
    await nextChange(client, name, current?.metadata?.resourceVersion, Math.min(deadline, nextProgress) - now, o.signal);
  }
}

/** Resolves at the CSR's next watch event, when the watch ends, after `ms`, or on abort, whichever comes first. */
function nextChange(client: CertificateSigningRequestsClient, name: string, resourceVersion: string | undefined, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    let handle: WatchHandle | undefined;
    let timer: NodeJS.Timeout | undefined;
    let finished = false;
    const done = () => {
      finished = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      handle?.stop();
      resolve();
    };
    timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done);
    const started = Date.now();
    handle = client.watch({ fieldSelector: `metadata.name=${name}`, resourceVersion }, done, () => {
      // A watch refused at once (no answer, forbidden) must not make the loop spin: wake no
      // sooner than a second after it began.
      if (finished) return;
      clearTimeout(timer);
      timer = setTimeout(done, Math.min(ms, Math.max(0, started + 1000 - Date.now())));
    });
    if (finished) handle.stop();
  });
}
