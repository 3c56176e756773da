// GET /containerLogs/{namespace}/{pod}/{container}: the kubelet server's getContainerLogs, streaming a container's log over HTTP.
import { access, constants } from 'node:fs/promises';
import type http from 'node:http';
import { statusBody } from '../server/encode.js';
import type { ServerLogger } from '../server/types.js';
import { ContainerLogsError, findPodContainer, followSourceFor, logInstanceFor, type ContainerLogsView } from './locate.js';
import { LogOptionsError, parsePodLogQuery, toLogOptions } from './options.js';
import { readLogs, type FollowSource } from './reader.js';

export const CONTAINER_LOGS_PREFIX = '/containerLogs/';

export interface ServeLogsOptions {
  view: ContainerLogsView;
  logger: ServerLogger;
  now?: () => number;
}

const REASONS: Record<number, string> = { 400: 'BadRequest', 404: 'NotFound', 422: 'Invalid' };

function sendError(res: http.ServerResponse, code: number, message: string): void {
  res.writeHead(code, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(statusBody(code, REASONS[code] ?? 'InternalError', message)));
}

/** The path's {namespace}/{pod}/{container}, each required (the kubelet answers 400 for a missing one). */
function pathParts(pathname: string): [string, string, string] {
  const parts = pathname.slice(CONTAINER_LOGS_PREFIX.length).split('/').map((p) => decodeURIComponent(p));
  const [namespace = '', pod = '', container = ''] = parts;
  if (parts.length > 3) throw new ContainerLogsError(404, 'the server could not find the requested resource');
  if (!namespace) throw new ContainerLogsError(400, 'Missing podNamespace.');
  if (!pod) throw new ContainerLogsError(400, 'Missing podID.');
  if (!container) throw new ContainerLogsError(400, 'Missing container name.');
  return [namespace, pod, container];
}

/**
 * Answers one log request. Errors found before the log starts get a status (404 pod or container
 * not found, 400 no log to show, 422 invalid options); after that the stream simply ends. Returns
 * a function that ends a following stream (the server calls it when it closes).
 */
export function serveContainerLogs(req: http.IncomingMessage, res: http.ServerResponse, url: URL, opts: ServeLogsOptions): () => void {
  const ac = new AbortController();
  res.on('close', () => ac.abort());
  void respond(req, res, url, opts, ac.signal).catch((err: unknown) => {
    if (!res.headersSent) {
      const status = err instanceof ContainerLogsError || err instanceof LogOptionsError ? err.status : 500;
      sendError(res, status, (err as Error).message);
      return;
    }
    opts.logger.warn({ err, path: url.pathname }, 'container log stream failed');
    res.destroy();
  });
  return () => ac.abort();
}

async function respond(req: http.IncomingMessage, res: http.ServerResponse, url: URL, opts: ServeLogsOptions, signal: AbortSignal) {
  const [namespace, podName, containerName] = pathParts(url.pathname);
  const query = parsePodLogQuery(url.searchParams);
  const { pod, container, isInit } = findPodContainer(opts.view, namespace, podName, containerName);
  const instance = logInstanceFor(opts.view, pod, containerName, query.previous);
  try {
    await access(instance.path, constants.R_OK);
  } catch (err) {
    throw new ContainerLogsError(400, `failed to open log file "${instance.path}": ${(err as Error).message}`);
  }
  res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
  // A follower may wait long for its first line: the client learns at once that the log was found.
  res.flushHeaders();
  if (req.method === 'HEAD') return void res.end();
  // A previous instance has ended and nothing comes after it.
  const follow: FollowSource = query.previous
    ? { isRunning: () => false, next: () => 'done' }
    : followSourceFor(opts.view, pod.metadata?.uid ?? '', container, isInit);
  const sink = {
    write: async (chunk: Buffer) => {
      if (res.write(chunk) || signal.aborted) return;
      await new Promise<void>((resolve) => {
        res.once('drain', resolve);
        signal.addEventListener('abort', () => resolve(), { once: true });
      });
    },
  };
  await readLogs(instance, toLogOptions(query, (opts.now ?? Date.now)()), sink, { follow, signal, pollMs: opts.view.followPollMs });
  res.end();
}
