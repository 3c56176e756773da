// The test images, one line each: name (archive file), full reference, and image config.
//
// All are busybox-static plus a few files. The references live under docker.io and
// registry.k8s.io on purpose: the dev runtime's hosts.toml serves those names from
// http://127.0.0.1:5000, so pod specs can say `busybox:1.36` exactly as in the wild.

import { readFileSync } from 'node:fs';

const PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

// PID 1 ignores signals it has no handler for, so the trap is what lets TERM/INT stop it at once;
// `sleep & wait` keeps the shell interruptible (a foreground sleep would delay the trap).
const PAUSE = 'trap "exit 0" TERM INT; while :; do sleep 3600 & wait; done';

/** hostBinaries: image path → host binary; the binary and the shared libraries `ldd` lists are copied in.
 * @typedef {{ name: string, ref: string, entrypoint?: string[], cmd?: string[], env?: string[],
 *   user?: string, workdir?: string, ports?: string[], files?: Record<string, string>,
 *   hostBinaries?: Record<string, string> }} ImageDef */

/** @type {ImageDef[]} */
export const IMAGES = [
  { name: 'busybox', ref: 'docker.io/library/busybox:1.36', cmd: ['sh'] },
  { name: 'pause', ref: 'registry.k8s.io/pause:3.9', entrypoint: ['/bin/sh', '-c', PAUSE] },
  { name: 'busybox-nonroot', ref: 'docker.io/library/busybox-nonroot:1.36', cmd: ['sh'], user: '1000:1000', workdir: '/home/user' },
  {
    name: 'busybox-httpd', ref: 'docker.io/library/busybox-httpd:1.36',
    entrypoint: ['httpd', '-f', '-v', '-p', '8080', '-h', '/www'], ports: ['8080/tcp'],
    files: { 'www/index.html': 'mini-kubelet busybox-httpd\n', 'www/healthz': 'ok\n' },
  },
  // A real gRPC health server for the gRPC probe: busybox cannot speak HTTP/2, so the host's node runs
  // a 40-line script (node:http2, no packages). About 100 MB, built once.
  {
    name: 'grpc-health', ref: 'docker.io/library/grpc-health:1.0',
    entrypoint: ['/usr/local/bin/node', '/grpc-health/server.cjs'], ports: ['9090/tcp'],
    hostBinaries: { 'usr/local/bin/node': process.execPath },
    files: { 'grpc-health/server.cjs': readFileSync(new URL('./grpc-health-server.cjs', import.meta.url), 'utf8') },
  },
];

/** The OCI image config (the `config` object) for one definition. */
export function imageConfig(def) {
  const config = { Env: [PATH, ...(def.env ?? [])] };
  if (def.entrypoint) config.Entrypoint = def.entrypoint;
  if (def.cmd) config.Cmd = def.cmd;
  if (def.user) config.User = def.user;
  if (def.workdir) config.WorkingDir = def.workdir;
  if (def.ports) config.ExposedPorts = Object.fromEntries(def.ports.map((p) => [p, {}]));
  return config;
}
