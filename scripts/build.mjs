// `npm run build`: compiles src/ into dist/ with tsc, copies the live page's static files, then writes the build stamp the bin checks.
//
// The stamp (dist/.build-stamp) holds the time the build STARTED: a source saved while tsc ran is
// newer than the stamp, so bin/mini-kubelet.js still sees the build as stale and refuses it.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const started = Date.now();
const tsc = path.join(repo, 'node_modules/.bin/tsc');
if (!existsSync(tsc)) {
  process.stderr.write('build: node_modules/.bin/tsc is missing; run "npm ci" first\n');
  process.exit(1);
}
// Incremental, with its state inside dist/ (gone with dist/): a rebuild with nothing changed takes a
// few seconds instead of a full compile, which `npm start`, `npm test` and the bench do every time.
// tsc trusts that state and does not look at its outputs: a dist/ emptied by hand gets a full build.
const buildInfo = path.join(repo, 'dist/.tsbuildinfo');
if (!existsSync(path.join(repo, 'dist/cli/entry.js'))) rmSync(buildInfo, { force: true });
const incremental = ['--incremental', '--tsBuildInfoFile', buildInfo];
const r = spawnSync(tsc, ['-p', 'tsconfig.json', ...incremental, ...process.argv.slice(2)], { cwd: repo, stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);
cpSync(path.join(repo, 'src/server/ui'), path.join(repo, 'dist/server/ui'), { recursive: true });
writeFileSync(path.join(repo, 'dist/.build-stamp'), `${started}\n`);
