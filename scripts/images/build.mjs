// Builds the test images from the host's busybox-static as OCI archives: `node build.mjs OUTDIR`.
//
// Prints one line per image on stdout, `name<TAB>ref<TAB>manifestDigest<TAB>archive`, for up.sh.
// An image is rebuilt only when its recipe, busybox or this builder changed (a .key file beside
// the archive records what it was built from); the output is byte-for-byte deterministic.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IMAGES, imageConfig } from './images.mjs';
import { ociArchive, sha256, tar } from './oci.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const outDir = process.argv[2];
if (!outDir) {
  console.error('usage: node scripts/images/build.mjs OUTDIR');
  process.exit(2);
}
const busyboxPath = process.env.BUSYBOX ?? ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p));
if (!busyboxPath) throw new Error('busybox not found: install busybox-static');

const busybox = readFileSync(busyboxPath);
// A dynamically linked busybox would fail inside the image with a confusing "no such file".
if (busybox.includes(Buffer.from('/lib64/ld-linux')) || busybox.includes(Buffer.from('/lib/ld-linux'))) {
  throw new Error(`${busyboxPath} is not static: install busybox-static`);
}
const builderHash = sha256(['oci.mjs', 'images.mjs', 'build.mjs'].map((f) => readFileSync(join(here, f))).join('\0'));

/** The root filesystem shared by every image: busybox, relative applet links, users, dirs. */
function baseRootfs() {
  const applets = execFileSync(busyboxPath, ['--list-full'], { encoding: 'utf8' })
    .split('\n')
    .filter((p) => p.includes('/') && p !== 'bin/busybox');
  const dirs = new Set(['bin', 'sbin', 'usr', 'usr/bin', 'usr/sbin', 'etc', 'var', 'home']);
  for (const p of applets) dirs.add(dirname(p));
  const entries = [...dirs].map((path) => ({ path, type: 'dir' }));
  entries.push(
    { path: 'root', type: 'dir', mode: 0o700 },
    { path: 'tmp', type: 'dir', mode: 0o1777 },
    { path: 'home/user', type: 'dir', uid: 1000, gid: 1000 },
    { path: 'bin/busybox', type: 'file', data: busybox, mode: 0o755 },
    {
      path: 'etc/passwd', type: 'file',
      data: 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n',
    },
    { path: 'etc/group', type: 'file', data: 'root:x:0:\nuser:x:1000:\nnogroup:x:65534:\n' },
  );
  // `busybox --install -s` would write absolute links to the build host's path, which dangle
  // inside an image; relative links to bin/busybox resolve wherever the rootfs is mounted.
  for (const p of applets) entries.push({ path: p, type: 'symlink', target: relative(dirname(p), 'bin/busybox') });
  return entries;
}

/** def.hostBinaries as image path → bytes: each binary, plus the loader and libraries `ldd` lists at their host paths. */
function hostBinaryFiles(def) {
  const out = new Map();
  for (const [path, from] of Object.entries(def.hostBinaries ?? {})) {
    out.set(path, readFileSync(from));
    let libs = '';
    try {
      libs = execFileSync('ldd', [from], { encoding: 'utf8' });
    } catch {
      // a static binary: nothing more to copy
    }
    for (const m of libs.matchAll(/(\/\S+) \(0x/g)) out.set(m[1].slice(1), readFileSync(m[1]));
  }
  return out;
}

/** Adds the image's extra files (and their parent directories) to a copy of the base rootfs. */
function rootfsFor(def, base, binaries) {
  const entries = [...base];
  const have = new Set(base.map((e) => e.path));
  const files = [
    ...Object.entries(def.files ?? {}).map(([path, data]) => ({ path, data, mode: 0o644 })),
    ...[...binaries].map(([path, data]) => ({ path, data, mode: 0o755 })),
  ];
  for (const { path, data, mode } of files) {
    for (let d = dirname(path); d !== '.' && !have.has(d); d = dirname(d)) {
      have.add(d);
      entries.push({ path: d, type: 'dir' });
    }
    entries.push({ path, type: 'file', data, mode });
  }
  return entries;
}

mkdirSync(outDir, { recursive: true });
let base;
for (const def of IMAGES) {
  const archivePath = join(outDir, `${def.name}.tar`);
  const keyPath = join(outDir, `${def.name}.key`);
  const binaries = hostBinaryFiles(def);
  const hostHash = sha256([...binaries].map(([p, data]) => p + sha256(data)).join('\0'));
  const key = sha256(JSON.stringify(def) + sha256(busybox) + builderHash + hostHash);
  let digest;
  if (existsSync(archivePath) && existsSync(keyPath)) {
    const stamp = JSON.parse(readFileSync(keyPath, 'utf8'));
    if (stamp.key === key) digest = stamp.digest;
  }
  if (!digest) {
    base ??= baseRootfs();
    const { archive, manifestDigest } = ociArchive({ ref: def.ref, layerTar: tar(rootfsFor(def, base, binaries)), config: imageConfig(def) });
    writeFileSync(`${archivePath}.tmp`, archive);
    renameSync(`${archivePath}.tmp`, archivePath);
    writeFileSync(keyPath, JSON.stringify({ key, ref: def.ref, digest: manifestDigest }) + '\n');
    digest = manifestDigest;
    console.error(`  built ${def.ref} ${digest}`);
  }
  console.log([def.name, def.ref, digest, archivePath].join('\t'));
}
