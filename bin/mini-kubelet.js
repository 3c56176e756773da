#!/usr/bin/env node
// Entry point: in a checkout, runs the TypeScript sources through tsx (never a stale build); elsewhere the compiled dist/.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const source = fileURLToPath(new URL('../src/cli/entry.ts', import.meta.url));
const compiled = fileURLToPath(new URL('../dist/cli/entry.js', import.meta.url));

function hasTsx() {
  try {
    createRequire(import.meta.url).resolve('tsx/esm/api');
    return true;
  } catch {
    return false;
  }
}

if (existsSync(source) && hasTsx()) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source);
} else if (existsSync(compiled)) {
  await import(compiled);
} else {
  process.stderr.write('mini-kubelet: neither the sources with tsx nor a build in dist/ were found; run "npm ci" or "npm run build"\n');
  process.exit(1);
}
