// Parses a CRI endpoint the way the kubelet's --container-runtime-endpoint does: unix sockets only.
import { isAbsolute, resolve } from 'node:path';

export interface CriEndpoint {
  /** Absolute path of the unix socket. */
  socketPath: string;
  /** The gRPC target, `unix:///abs/path`. */
  target: string;
}

/**
 * Accepts `unix:///abs/path` and a plain path (the kubelet accepts a bare path too, with a
 * deprecation warning, by assuming unix://; see parseEndpointWithFallbackProtocol). A relative
 * path is made absolute against the working directory so the target never depends on it later.
 * tcp:// and npipe:// are refused: the kubelet only dials unix sockets on Linux.
 */
export function parseEndpoint(endpoint: string, cwd: string = process.cwd()): CriEndpoint {
  const raw = endpoint.trim();
  if (raw === '') throw new Error('empty container runtime endpoint: pass --container-runtime-endpoint unix:///path/to/socket');
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(raw)?.[1]?.toLowerCase();
  let path: string;
  if (scheme === undefined) {
    path = raw;
  } else if (scheme === 'unix') {
    // unix:///abs (the usual form), unix:/abs, or unix:rel; unix://host/... names a host, which a socket has not.
    path = raw.slice('unix:'.length);
    if (path.startsWith('//')) {
      path = path.slice(2);
      if (path !== '' && !path.startsWith('/')) {
        throw new Error(`container runtime endpoint ${JSON.stringify(endpoint)} has a host part; use unix:///absolute/path`);
      }
    }
  } else {
    throw new Error(
      `container runtime endpoint ${JSON.stringify(endpoint)} uses protocol "${scheme}": only unix sockets are supported (unix:///path/to/socket)`,
    );
  }
  if (path === '') throw new Error(`container runtime endpoint ${JSON.stringify(endpoint)} has no socket path`);
  const socketPath = isAbsolute(path) ? resolve(path) : resolve(cwd, path);
  return { socketPath, target: `unix://${socketPath}` };
}
