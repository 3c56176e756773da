// Registry credentials from a pod's image pull secrets, matched to an image by registry host and path (the kubelet's credentialprovider keyring and secrets.MakeDockerKeyring).
import type { V1Secret } from '@kubernetes/client-node';
import type { AuthConfig } from '../cri/types.js';

/** v1.SecretTypeDockerConfigJson and v1.SecretTypeDockercfg, with their keys. */
const DOCKER_CONFIG_JSON = { type: 'kubernetes.io/dockerconfigjson', key: '.dockerconfigjson' };
const DOCKERCFG = { type: 'kubernetes.io/dockercfg', key: '.dockercfg' };
/** keyring.go defaultRegistryHost: where credentials for Docker Hub are filed. */
const DEFAULT_REGISTRY_HOST = 'index.docker.io';

/** A credentials problem in a pull secret: the pull fails with it (MakeDockerKeyring's error). */
export class KeyringError extends Error {
  override readonly name = 'KeyringError';
}

/**
 * reference.ParseNormalizedNamed(image).Name(): the repository with its registry, the form the
 * keyring matches against: busybox:1.36 → docker.io/library/busybox.
 */
export function normalizedRepository(image: string): string {
  let name = image.split('@')[0]!;
  const colon = name.lastIndexOf(':');
  if (colon > name.lastIndexOf('/')) name = name.slice(0, colon);
  const slash = name.indexOf('/');
  const first = slash < 0 ? '' : name.slice(0, slash);
  // splitDockerDomain: the first component is a registry when it has a dot or a port, or is localhost.
  const isDomain = slash >= 0 && (/[.:]/.test(first) || first === 'localhost' || first.toLowerCase() !== first);
  let domain = isDomain ? first : 'docker.io';
  let rest = isDomain ? name.slice(slash + 1) : name;
  if (domain === DEFAULT_REGISTRY_HOST) domain = 'docker.io';
  if (domain === 'docker.io' && !rest.includes('/')) rest = `library/${rest}`;
  return `${domain}/${rest}`;
}

/** url.Parse of a schemeless "host[:port][/path]": host and path. */
function parseSchemeless(s: string): { host: string; path: string } {
  const i = s.indexOf('/');
  return i < 0 ? { host: s, path: '' } : { host: s.slice(0, i), path: s.slice(i) };
}

/** net.SplitHostPort, falling back to the whole host without a port; the host split on dots. */
function splitURL(host: string): { parts: string[]; port: string } {
  const m = /^\[([^\]]*)\]:(\d*)$/.exec(host) ?? (host.split(':').length === 2 ? /^([^:]*):(\d*)$/.exec(host) : null);
  return m ? { parts: m[1]!.split('.'), port: m[2]! } : { parts: host.split('.'), port: '' };
}

/** filepath.Match for one host label: *, ? and [classes]; a malformed pattern matches nothing. */
function globMatch(pattern: string, name: string): boolean {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\' && i + 1 < pattern.length) re += `\\${pattern[++i]}`;
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) return false;
      re += `[${pattern.slice(i + 1, end)}]`;
      i = end;
    } else re += c.replace(/[.+(){}|$^]/g, '\\$&');
  }
  try {
    return new RegExp(`^${re}$`).test(name);
  } catch {
    return false;
  }
}

/** URLsMatchStr: same port, as many host labels each matching its glob, and the glob's path a prefix of the image's. */
export function urlsMatch(glob: string, target: string): boolean {
  const g = parseSchemeless(glob);
  const t = parseSchemeless(target);
  const gu = splitURL(g.host);
  const tu = splitURL(t.host);
  if (gu.port !== tu.port || gu.parts.length !== tu.parts.length) return false;
  if (!t.path.startsWith(g.path)) return false;
  return gu.parts.every((p, i) => globMatch(p, tu.parts[i]!));
}

/** decodeDockerConfigFieldAuth: base64(username:password). */
function decodeAuth(field: string): { username: string; password: string } {
  const decoded = Buffer.from(field.trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw new KeyringError('unable to parse auth field, must be formatted as base64(username:password)');
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

type DockerConfigEntry = { username?: string; password?: string; auth?: string };

/** BasicDockerKeyring: credentials by registry key (host, or host and path), most specific key first. */
export class DockerKeyring {
  private readonly creds = new Map<string, AuthConfig[]>();

  /** BasicDockerKeyring.Add: one docker config's entries, keyed without scheme and /v1/ or /v2/. */
  add(config: Record<string, DockerConfigEntry>): void {
    for (const [loc, entry] of Object.entries(config ?? {})) {
      const { username, password } = entry?.auth ? decodeAuth(entry.auth) : { username: entry?.username ?? '', password: entry?.password ?? '' };
      const { host, path } = parseSchemeless(loc.replace(/^https?:\/\//, ''));
      const effective = path.startsWith('/v2/') || path.startsWith('/v1/') ? path.slice(3) : path;
      const key = effective !== '' && effective !== '/' ? host + effective : host;
      this.creds.set(key, [...(this.creds.get(key) ?? []), { username, password }]);
    }
  }

  /** Lookup: the credentials of every matching key, most specific first; Docker Hub's for a Docker Hub image when nothing else matched. */
  lookup(repository: string): AuthConfig[] {
    const keys = [...this.creds.keys()].sort().reverse();
    const out = keys.filter((k) => urlsMatch(k, repository)).flatMap((k) => this.creds.get(k)!);
    if (out.length > 0) return out;
    return isDefaultRegistryMatch(repository) ? (this.creds.get(DEFAULT_REGISTRY_HOST) ?? []) : [];
  }
}

/** isDefaultRegistryMatch: an image of Docker Hub (no registry named, or docker.io / index.docker.io). */
function isDefaultRegistryMatch(image: string): boolean {
  const parts = image.split('/');
  if (parts[0] === '') return false;
  if (parts.length === 1 || parts[0] === 'docker.io' || parts[0] === DEFAULT_REGISTRY_HOST) return true;
  return !/[.:]/.test(parts[0]!);
}

/**
 * MakeDockerKeyring: the credentials of every pull secret of type kubernetes.io/dockerconfigjson
 * (its "auths") or kubernetes.io/dockercfg; other secrets are ignored. A secret that does not
 * parse fails the pull.
 */
export function makeDockerKeyring(secrets: readonly V1Secret[]): DockerKeyring {
  const keyring = new DockerKeyring();
  for (const s of secrets) {
    const which = s.type === DOCKER_CONFIG_JSON.type ? DOCKER_CONFIG_JSON : s.type === DOCKERCFG.type ? DOCKERCFG : undefined;
    const raw = which ? s.data?.[which.key] : undefined;
    if (!which || !raw) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(raw, 'base64').toString('utf8'));
    } catch (err) {
      throw new KeyringError(`pull secret ${s.metadata?.namespace}/${s.metadata?.name}: ${(err as Error).message}`);
    }
    const config = which === DOCKER_CONFIG_JSON ? (parsed as { auths?: Record<string, DockerConfigEntry> })?.auths : parsed;
    keyring.add((config ?? {}) as Record<string, DockerConfigEntry>);
  }
  return keyring;
}
