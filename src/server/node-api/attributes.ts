// Who is asking and what for: the user an authenticator found, and a request's authorization attributes (kubelet: nodeAuthorizerAttributesGetter.GetRequestAttributes).

/** user.Info: what authentication found. */
export interface UserInfo {
  name: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

/** authorizer.Attributes for a request to the node API: always a resource request on the node itself. */
export interface RequestAttributes {
  user: UserInfo;
  verb: string;
  namespace: '';
  apiGroup: '';
  apiVersion: 'v1';
  resource: 'nodes';
  subresource: 'proxy' | 'stats' | 'metrics' | 'log' | 'spec';
  name: string;
  path: string;
}

/** The API verb of an HTTP method; other methods (HEAD, OPTIONS) get none, as in the kubelet. */
const VERBS: Record<string, string> = { POST: 'create', GET: 'get', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };

/** isSubpath: `sub` is `base` (trailing slash ignored) or lies under it. */
export function isSubpath(sub: string, base: string): boolean {
  const b = base.replace(/\/$/, '');
  return sub === b || (sub.startsWith(b) && sub[b.length] === '/');
}

/**
 * GetRequestAttributes: nodes/proxy by default, narrowed by path so access can be split up:
 * /stats/* → nodes/stats, /metrics/* → nodes/metrics, /logs/* → nodes/log, /spec/* → nodes/spec.
 * Everything else, exec, attach, portForward, run, containerLogs and pods included, is nodes/proxy.
 */
export function requestAttributes(user: UserInfo, nodeName: string, method: string, path: string): RequestAttributes {
  let subresource: RequestAttributes['subresource'] = 'proxy';
  if (isSubpath(path, '/stats/')) subresource = 'stats';
  else if (isSubpath(path, '/metrics')) subresource = 'metrics';
  else if (isSubpath(path, '/logs/')) subresource = 'log';
  else if (isSubpath(path, '/spec/')) subresource = 'spec';
  return {
    user,
    verb: VERBS[method] ?? '',
    namespace: '',
    apiGroup: '',
    apiVersion: 'v1',
    resource: 'nodes',
    subresource,
    name: nodeName,
    path,
  };
}
