// The static agent's module graph (the CLI, run.ts, the logger, the node API's TLS) loads none of the heavy packages only other modes need.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Packages that cost the agent RSS for nothing in static mode with JSON logs and a cert dir already made. */
const HEAVY = ['@kubernetes/client-node', '@peculiar/x509', 'reflect-metadata', 'pino-pretty'];

/** A resolve hook that prints each heavy package a module import reaches, before tsx resolves it. */
const HOOKS = `export async function resolve(s, c, next) {
  const r = await next(s, c);
  const m = /node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(r.url);
  // wire-types.ts takes client-node's model classes one file each on purpose (not the package): allowed.
  if (m && ${JSON.stringify(HEAVY)}.includes(m[1]) && !r.url.includes('/client-node/dist/gen/models/')) process.stderr.write('HEAVY ' + m[1] + ' from ' + (c.parentURL ?? '') + ' ' + r.url + '\\n');
  return r;
}`;

function heavyImports(script: string): string[] {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: REPO, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr.slice(0, 2000));
  return r.stderr.split('\n').filter((l) => l.startsWith('HEAVY '));
}

const register = `import { register } from 'node:module'; register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(HOOKS)}));`;

test('the hook sees a heavy package when one is imported (the check can fail)', () => {
  const lines = heavyImports(`${register} await import('./src/server/node-api/certs.ts');`);
  assert.ok(lines.some((l) => l.startsWith('HEAVY @peculiar/x509 ')), lines.join('\n'));
});

test('the static agent: the CLI, run.ts, a JSON logger and a reused cert dir load no heavy package', (t) => {
  const certDir = mkdtempSync(path.join(tmpdir(), 'mk-static-imports-'));
  t.after(() => rmSync(certDir, { recursive: true, force: true }));
  const loadTLS = `const { loadServingTLS } = await import('./src/server/node-api/tls.ts');
    await loadServingTLS({ certDir: ${JSON.stringify(certDir)}, hostName: 'n', ips: ['127.0.0.1'] });`;
  // The first start makes the certificates: x509 is loaded then, and only then.
  assert.ok(heavyImports(`${register} ${loadTLS}`).some((l) => l.startsWith('HEAVY @peculiar/x509 ')));
  const restart = heavyImports(`${register}
    await import('./src/cli/main.ts');
    await import('./src/cli/run.ts');
    const { createLogger } = await import('./src/log.ts');
    createLogger('info', 'json');
    ${loadTLS}`);
  assert.deepEqual(restart, []);
});
