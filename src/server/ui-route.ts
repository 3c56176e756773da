// GET /ui/: the live page (plain HTML, CSS and a script from src/server/ui/, no build step), and GET /runtime/pods, the runtime's view of each pod it reads.
import { readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import type { ObservedPod } from '../runtime/types.js';

/** The page's files, next to this module (tsc does not copy them: the build script does, to dist/server/ui/). */
const UI_DIR = new URL('./ui/', import.meta.url);

const FILES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
};

/**
 * Nothing but this origin's own files and calls: no inline script, no other host. The page
 * builds its DOM with textContent only; this is the second line against a pod name or message
 * that holds markup.
 */
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Serves /ui (redirect), /ui/ and the page's files; answers 404 for anything else under /ui/. */
export function serveUI(res: ServerResponse, pathname: string): void {
  if (pathname === '/ui') {
    res.writeHead(301, { Location: '/ui/' });
    res.end();
    return;
  }
  const name = pathname === '/ui/' ? 'index.html' : pathname.slice('/ui/'.length);
  const type = FILES[name];
  if (!type) return notFound(res, `no such file in the page: ${name}`);
  readFile(new URL(name, UI_DIR)).then(
    (body) => {
      res.writeHead(200, { 'Content-Type': type, 'Content-Security-Policy': CSP, 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-cache' });
      res.end(res.req.method === 'HEAD' ? undefined : body);
    },
    // A build that left the page out (tsc alone does): say so rather than fail.
    () => notFound(res, `the page's file ${name} is not there: build with "npm run build", which copies src/server/ui to dist/server/ui`),
  );
}

function notFound(res: ServerResponse, message: string): void {
  res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
  res.end(message);
}

/** One pod as the runtime reports it (the PLEG's cache): its sandboxes and containers, newest first. */
export interface RuntimePod {
  uid: string;
  namespace: string;
  name: string;
  sandboxes: { id: string; attempt: number; state: string; ip: string; createdAt: number }[];
  containers: { id: string; name: string; restartCount: number; state: string; exitCode: number; reason: string; startedAt: number; finishedAt: number; sandboxId: string }[];
}

/** The page's view of the runtime: no annotations, mounts or log paths, only what it draws. */
export function runtimePods(observed: readonly ObservedPod[]): { kind: 'RuntimePodList'; items: RuntimePod[] } {
  return {
    kind: 'RuntimePodList',
    items: observed.map((o) => ({
      uid: o.uid,
      namespace: o.namespace,
      name: o.name,
      sandboxes: o.sandboxes.map(({ id, attempt, state, ip, createdAt }) => ({ id, attempt, state, ip, createdAt })),
      containers: o.containers.map(({ id, name, restartCount, state, exitCode, reason, startedAt, finishedAt, sandboxId }) => ({
        id, name, restartCount, state, exitCode, reason, startedAt, finishedAt, sandboxId,
      })),
    })),
  };
}
