// Helpers for pull tests against the dev runtime's real registry on 127.0.0.1:5000 (push, delete, check).
//
// repoTag is the path inside that registry, e.g. 'pull-e2e/busybox:v1'. Pods reach it as
// `127.0.0.1:5000/pull-e2e/busybox:v1`, or as `docker.io/pull-e2e/busybox:v1` through the dev
// runtime's hosts.toml. Use a repository of your own per test: deletes act on one repository.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { REGISTRY, ensureRuntime } from './runtime.js';

export { REGISTRY };

/** The images scripts/images/images.mjs builds (archive <runtimeDir>/images/<source>.tar). */
export type ImageSource = 'busybox' | 'busybox-nonroot' | 'busybox-httpd' | 'pause';

const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');

function splitRepoTag(repoTag: string): { repo: string; tag: string } {
  const ref = repoTag.startsWith(`${REGISTRY}/`) ? repoTag.slice(REGISTRY.length + 1) : repoTag;
  const colon = ref.lastIndexOf(':');
  if (colon <= ref.lastIndexOf('/')) throw new Error(`repoTag needs a tag: ${repoTag}`);
  return { repo: ref.slice(0, colon), tag: ref.slice(colon + 1) };
}

/** The manifest digest a built archive carries (recorded by the builder beside it). */
export async function sourceDigest(source: ImageSource): Promise<string> {
  const { runtimeDir } = await ensureRuntime();
  return JSON.parse(readFileSync(path.join(runtimeDir, 'images', `${source}.key`), 'utf8')).digest as string;
}

/** Copies a built test image to 127.0.0.1:5000/<repoTag> with skopeo; returns its manifest digest. */
export async function pushImage(source: ImageSource, repoTag: string): Promise<string> {
  const { runtimeDir } = await ensureRuntime();
  const { repo, tag } = splitRepoTag(repoTag);
  await promisify(execFile)('skopeo', [
    '--policy', path.join(runtimeDir, 'etc', 'policy.json'), 'copy', '--quiet', '--dest-tls-verify=false',
    `oci-archive:${path.join(runtimeDir, 'images', `${source}.tar`)}`, `docker://${REGISTRY}/${repo}:${tag}`,
  ]);
  return sourceDigest(source);
}

/** The digest the registry serves for repoTag, or undefined when it has no such tag. */
export async function registryDigest(repoTag: string): Promise<string | undefined> {
  const { repo, tag } = splitRepoTag(repoTag);
  const res = await fetch(`http://${REGISTRY}/v2/${repo}/manifests/${tag}`, { method: 'HEAD', headers: { Accept: MANIFEST_ACCEPT } });
  if (res.status === 404) return undefined;
  if (!res.ok) throw new Error(`registry HEAD ${repoTag}: HTTP ${res.status}`);
  return res.headers.get('docker-content-digest') ?? undefined;
}

export async function registryHasImage(repoTag: string): Promise<boolean> {
  return (await registryDigest(repoTag)) !== undefined;
}

/**
 * Deletes repoTag's manifest from its repository (v2 API: HEAD for the digest, then DELETE by
 * digest), which drops every tag of that repository pointing at it. Returns false if absent.
 */
export async function deleteImage(repoTag: string): Promise<boolean> {
  const digest = await registryDigest(repoTag);
  if (!digest) return false;
  const { repo } = splitRepoTag(repoTag);
  const res = await fetch(`http://${REGISTRY}/v2/${repo}/manifests/${digest}`, { method: 'DELETE' });
  if (res.status === 404) return false;
  if (!res.ok) throw new Error(`registry DELETE ${repoTag}@${digest}: HTTP ${res.status}`);
  return true;
}
