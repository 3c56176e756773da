// HTTP client for the agent's read-only port: the pod list, the rejected manifests, the pod watch, and any other JSON or streamed JSON path.
import type { V1Pod } from '@kubernetes/client-node';
import type { RejectedManifest } from '../server/types.js';

export const DEFAULT_SERVER = 'http://127.0.0.1:10255';

/** The agent did not answer at all (refused, no route, bad host). */
export class AgentUnreachableError extends Error {
  constructor(server: string, options?: { cause?: unknown }) {
    super(`cannot reach mini-kubelet at ${server}: is it running? (--read-only-port)`, options);
  }
}

/** The agent answered, but not with a success. */
export class AgentResponseError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export interface PodList {
  kind: string;
  apiVersion: string;
  metadata: Record<string, unknown>;
  items: V1Pod[];
}

export interface PodWatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: V1Pod;
}

export interface ClientOptions {
  server: string;
  signal?: AbortSignal;
}

function isAbort(err: unknown): boolean {
  return (err as { name?: string })?.name === 'AbortError';
}

async function request(opts: ClientOptions, path: string): Promise<Response> {
  let url: URL;
  try {
    url = new URL(opts.server.replace(/\/+$/, '') + path);
  } catch {
    throw new Error(`invalid --server URL "${opts.server}"`);
  }
  let res: Response;
  try {
    res = await fetch(url, { signal: opts.signal });
  } catch (err) {
    if (isAbort(err)) throw err;
    throw new AgentUnreachableError(opts.server, { cause: err });
  }
  if (!res.ok) {
    // Errors come as a metav1.Status; its message is the useful part.
    const text = await res.text().catch(() => '');
    let message = text;
    try {
      message = (JSON.parse(text) as { message?: string }).message ?? text;
    } catch { /* not JSON: keep the text */ }
    throw new AgentResponseError(res.status, `mini-kubelet at ${opts.server} answered ${res.status} for ${path}: ${message}`);
  }
  return res;
}

export async function getPodList(opts: ClientOptions): Promise<PodList> {
  return (await (await request(opts, '/pods')).json()) as PodList;
}

/** The manifests the agent refused; [] from an agent that does not serve them. */
export async function getRejectedManifests(opts: ClientOptions): Promise<RejectedManifest[]> {
  try {
    const body = (await (await request(opts, '/manifests/errors')).json()) as { items?: RejectedManifest[] };
    return body.items ?? [];
  } catch (err) {
    if (err instanceof AgentResponseError && err.status === 404) return [];
    throw err;
  }
}

// Newline-delimited JSON lines from a streamed body; a broken stream surfaces as a "lost the watch" error.
async function* lines(body: ReadableStream<Uint8Array>, opts: ClientOptions): AsyncGenerator<string> {
  const iterator = body[Symbol.asyncIterator]();
  // A consumer that stops early (an error, a break) must cancel the body, or the socket stays open.
  try {
    yield* splitLines(iterator, opts);
  } finally {
    await iterator.return?.().catch(() => {});
  }
}

async function* splitLines(iterator: AsyncIterator<Uint8Array>, opts: ClientOptions): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffered = '';
  for (;;) {
    let next: IteratorResult<Uint8Array>;
    try {
      next = await iterator.next();
    } catch (err) {
      if (isAbort(err) || opts.signal?.aborted) return;
      throw new Error(`lost the watch on mini-kubelet at ${opts.server}: ${(err as Error).message}`, { cause: err });
    }
    if (next.done) return;
    buffered += decoder.decode(next.value, { stream: true });
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl).trim();
      buffered = buffered.slice(nl + 1);
      if (line) yield line;
    }
  }
}

/**
 * Watches the pods: the initial ADDED events, a BOOKMARK where they end, then one event per
 * change. Resolves when the agent ends the stream or the signal aborts it.
 */
export async function watchPods(opts: ClientOptions, onEvent: (e: PodWatchEvent) => void): Promise<void> {
  await watchLines(opts, '/pods?watch=true&allowWatchBookmarks=true', (line) => onEvent(JSON.parse(line) as PodWatchEvent));
}

/** GETs a path that streams newline-delimited JSON and hands over each line; resolves when the stream ends or the signal aborts it. */
export async function watchLines(opts: ClientOptions, path: string, onLine: (line: string) => void): Promise<void> {
  let res: Response;
  try {
    res = await request(opts, path);
  } catch (err) {
    if (isAbort(err)) return;
    throw err;
  }
  if (!res.body) return;
  for await (const line of lines(res.body, opts)) onLine(line);
}

/** GET a path and decode its JSON body (errors as AgentUnreachableError / AgentResponseError). */
export async function getJSON<T>(opts: ClientOptions, path: string): Promise<T> {
  return (await (await request(opts, path)).json()) as T;
}
