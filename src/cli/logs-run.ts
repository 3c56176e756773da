// What `mini-kubelet logs` does once its flags are parsed: find the pod and container, then stream /containerLogs to stdout.
import { AgentUnreachableError, getPodList } from './client.js';
import { findPod, pickContainer, podNameArg } from './logs-target.js';
import type { PodLogOptions } from '../logs/options.js';

/** The flags of `mini-kubelet logs`: which container, and the same options the /containerLogs query takes. */
export interface LogsRequest extends Omit<PodLogOptions, 'stream'> {
  server: string;
  pod: string;
  container?: string;
  namespace: string;
}

export interface LogsIO {
  out(chunk: Uint8Array): void;
  /** Ends a follower (tests; the real CLI ends with Ctrl-C). */
  signal?: AbortSignal;
}

/** The agent refused the request; the message is kubectl's "Error from server (Reason): ..." line. */
export class LogsServerError extends Error {}

const REASONS: Record<number, string> = { 400: 'BadRequest', 404: 'NotFound', 422: 'Invalid', 500: 'InternalError' };

/** The query for the kubelet's /containerLogs, as kubectl's PodLogOptions become it. */
export function logsQuery(req: LogsRequest): URLSearchParams {
  const q = new URLSearchParams();
  if (req.follow) q.set('follow', 'true');
  if (req.previous) q.set('previous', 'true');
  if (req.timestamps) q.set('timestamps', 'true');
  if (req.tailLines !== undefined) q.set('tailLines', String(req.tailLines));
  if (req.limitBytes !== undefined) q.set('limitBytes', String(req.limitBytes));
  if (req.sinceSeconds !== undefined) q.set('sinceSeconds', String(req.sinceSeconds));
  if (req.sinceTime !== undefined) q.set('sinceTime', req.sinceTime);
  return q;
}

async function errorOf(res: Response): Promise<LogsServerError> {
  const text = await res.text().catch(() => '');
  let message = text.trim();
  let reason = REASONS[res.status] ?? String(res.status);
  try {
    const status = JSON.parse(text) as { message?: string; reason?: string };
    message = status.message ?? message;
    reason = status.reason || reason;
  } catch { /* plain text, as the kubelet sends */ }
  return new LogsServerError(`Error from server (${reason}): ${message}`);
}

/** Prints the log; resolves when the agent ends it (at once without --follow) or the signal aborts it. */
export async function runLogs(req: LogsRequest, io: LogsIO): Promise<void> {
  const name = podNameArg(req.pod);
  const pod = findPod((await getPodList({ server: req.server, signal: io.signal })).items, req.namespace, name);
  const container = pickContainer(pod, req.container);
  const base = req.server.replace(/\/+$/, '');
  const path = ['containerLogs', req.namespace, pod.metadata!.name!, container].map(encodeURIComponent).join('/');
  const query = logsQuery(req).toString();
  let res: Response;
  try {
    res = await fetch(`${base}/${path}${query ? `?${query}` : ''}`, { signal: io.signal });
  } catch (err) {
    if ((err as Error).name === 'AbortError') return;
    throw new AgentUnreachableError(req.server, { cause: err });
  }
  if (!res.ok) throw await errorOf(res);
  if (!res.body) return;
  try {
    for await (const chunk of res.body) io.out(chunk);
  } catch (err) {
    if ((err as Error).name === 'AbortError' || io.signal?.aborted) return;
    throw new Error(`lost the log stream from mini-kubelet at ${req.server}: ${(err as Error).message}`, { cause: err });
  }
}
