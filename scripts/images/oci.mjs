// Byte-exact helpers to write ustar archives and OCI image layouts, with no dependency outside Node.
//
// Every header field that could vary (mtime, owner names, order) is fixed, so the same inputs
// always give the same bytes, hence the same layer and manifest digests on every rebuild.
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';

const BLOCK = 512;

export const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');

/** One ustar header: name split into prefix/name when longer than 100 bytes. */
function header({ path, type, size = 0, mode, linkname = '', uid = 0, gid = 0 }) {
  const h = Buffer.alloc(BLOCK);
  let name = path;
  let prefix = '';
  if (Buffer.byteLength(name) > 100) {
    const cut = name.lastIndexOf('/', 155);
    prefix = name.slice(0, cut);
    name = name.slice(cut + 1);
  }
  if (Buffer.byteLength(name) > 100 || Buffer.byteLength(prefix) > 155 || Buffer.byteLength(linkname) > 100) {
    throw new Error(`tar: path too long: ${path}`);
  }
  const octal = (n, len) => n.toString(8).padStart(len - 1, '0') + '\0';
  h.write(name, 0);
  h.write(octal(mode, 8), 100);
  h.write(octal(uid, 8), 108);
  h.write(octal(gid, 8), 116);
  h.write(octal(size, 12), 124);
  h.write(octal(0, 12), 136); // mtime: the epoch, always
  h.write('        ', 148); // checksum field counts as spaces while summing
  h.write(type, 156);
  h.write(linkname, 157);
  h.write('ustar\0', 257);
  h.write('00', 263);
  h.write(prefix, 345);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(octal(sum, 7) + ' ', 148);
  return h;
}

/**
 * A tar archive from entries {path, type: 'file'|'dir'|'symlink', data?, mode?, target?, uid?, gid?}.
 * Entries are sorted by path so callers need not care about order; parents should be listed.
 */
export function tar(entries) {
  const sorted = [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const parts = [];
  for (const e of sorted) {
    if (e.type === 'dir') {
      parts.push(header({ path: e.path.replace(/\/?$/, '/'), type: '5', mode: e.mode ?? 0o755, uid: e.uid, gid: e.gid }));
    } else if (e.type === 'symlink') {
      parts.push(header({ path: e.path, type: '2', mode: 0o777, linkname: e.target }));
    } else {
      const data = Buffer.isBuffer(e.data) ? e.data : Buffer.from(e.data ?? '');
      parts.push(header({ path: e.path, type: '0', size: data.length, mode: e.mode ?? 0o644, uid: e.uid, gid: e.gid }));
      parts.push(data);
      const pad = (BLOCK - (data.length % BLOCK)) % BLOCK;
      if (pad) parts.push(Buffer.alloc(pad));
    }
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
}

const GOARCH = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x' };
export const hostArch = () => GOARCH[process.arch] ?? process.arch;

/**
 * An OCI image-layout archive (what `skopeo copy oci-archive:` and `ctr images import` read) holding
 * one single-layer image. `ref` is the full name (docker.io/library/busybox:1.36); its tag also goes
 * in org.opencontainers.image.ref.name. Returns the archive bytes and the manifest digest.
 */
export function ociArchive({ ref, layerTar, config }) {
  const layer = gzipSync(layerTar, { level: 9 });
  const arch = hostArch();
  const imageConfig = {
    created: '1970-01-01T00:00:00Z',
    architecture: arch,
    os: 'linux',
    config,
    rootfs: { type: 'layers', diff_ids: [`sha256:${sha256(layerTar)}`] },
    history: [{ created: '1970-01-01T00:00:00Z', created_by: 'mini-kubelet scripts/images/build.mjs' }],
  };
  const configJson = Buffer.from(JSON.stringify(imageConfig));
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${sha256(configJson)}`, size: configJson.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: `sha256:${sha256(layer)}`, size: layer.length }],
  }));
  const manifestDigest = `sha256:${sha256(manifest)}`;
  const index = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [{
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: manifestDigest,
      size: manifest.length,
      platform: { architecture: arch, os: 'linux' },
      annotations: {
        // ctr images import names the image after this annotation
        'io.containerd.image.name': ref,
        'org.opencontainers.image.ref.name': ref.slice(ref.lastIndexOf(':') + 1),
      },
    }],
  };
  const blob = (buf) => ({ path: `blobs/sha256/${sha256(buf)}`, type: 'file', data: buf });
  const archive = tar([
    { path: 'blobs', type: 'dir' },
    { path: 'blobs/sha256', type: 'dir' },
    blob(layer),
    blob(configJson),
    blob(manifest),
    { path: 'oci-layout', type: 'file', data: JSON.stringify({ imageLayoutVersion: '1.0.0' }) },
    { path: 'index.json', type: 'file', data: JSON.stringify(index) },
  ]);
  return { archive, manifestDigest };
}
