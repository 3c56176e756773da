#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-semi-space-size=1
// Entry point: runs the compiled dist/; in a checkout it first refuses a build older than any source (tsx is for `npm run dev` only).
//
// The first line sizes the agent's memory for a long-running daemon whose live heap is small
// (~25 MB at 100 pods): V8's young generation capped at 1 MB semi-spaces instead of 16 MB, and
// glibc limited to 2 malloc arenas instead of one per thread. At 100 steady pods that takes the
// RSS from ~98 to ~87 MB at the same CPU (docs/benchmarks.md). Run it as `bin/mini-kubelet.js`
// (as npm's bin link and scripts/run.sh do), not `node bin/mini-kubelet.js`, to keep them.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const compiled = `${root}dist/cli/entry.js`;
const stampFile = `${root}dist/.build-stamp`;
const sources = `${root}src`;

function fail(message) {
  process.stderr.write(`mini-kubelet: ${message}\n`);
  process.exit(1);
}

/**
 * A checkout has src/ next to dist/; the installed package ships dist/ only (package.json
 * "files"). There, every file under src/ (and tsconfig.json) must be older than the time the last
 * build started (scripts/build.mjs writes it): one stat per file, a few ms for ~300 files.
 */
function staleSource() {
  if (!existsSync(sources)) return undefined;
  let stamp;
  try {
    stamp = Number(readFileSync(stampFile, 'utf8'));
  } catch {
    return 'there is no build (dist/.build-stamp is missing)';
  }
  const newer = (file) => statSync(file, { throwIfNoEntry: false })?.mtimeMs > stamp;
  if (newer(`${root}tsconfig.json`)) return 'tsconfig.json changed after the last build';
  for (const entry of readdirSync(sources, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = `${entry.parentPath ?? entry.path}/${entry.name}`;
    if (newer(file)) return `${file.slice(root.length)} changed after the last build`;
  }
  return undefined;
}

const stale = staleSource();
if (stale) fail(`${stale}: run "npm run build" first (or "npm run dev -- ARGS" to run the sources through tsx)`);
if (!existsSync(compiled)) fail('dist/ is missing: run "npm run build"');
await import(compiled);
