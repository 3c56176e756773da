// An in-memory KubeClient for unit tests: objects with resourceVersions, watches, a call log, and injected failures.
//
// It implements only our own interfaces (src/kubeclient/types.ts), never the API server's
// behaviour beyond what a test needs; the e2e tests run against the real control plane.
import type { V1ObjectMeta, V1SubjectAccessReview, V1SubjectAccessReviewStatus, V1UserInfo } from '@kubernetes/client-node';
import { KubeApiError } from '../../src/kubeclient/errors.js';
import { applyStatusPatch } from './strategic-merge.js';
import type {
  KubeClient, ListResult, WatchEvent, WatchEventType, WatchHandle, WatchOptions,
} from '../../src/kubeclient/types.js';

type Obj = { metadata?: V1ObjectMeta; [k: string]: unknown };

export interface FakeCall {
  resource: string;
  verb: string;
  key?: string;
  body?: unknown;
}

interface Watcher {
  opts: WatchOptions;
  onEvent: (e: WatchEvent<unknown>) => void;
  onClose: (err?: Error) => void;
}

/** A field selector of the forms the agent uses: "a.b=c" terms joined by commas. */
function matchesFields(obj: Obj, selector?: string): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const [path, want] = term.split('=');
    let v: unknown = obj;
    for (const part of path.split('.')) v = (v as Record<string, unknown> | undefined)?.[part];
    return String(v ?? '') === want;
  });
}

/** One resource: objects by "<namespace>/<name>" (cluster-scoped: "/<name>"). */
export class FakeResource<T extends Obj> {
  readonly objects = new Map<string, T>();
  private readonly watchers = new Set<Watcher>();

  constructor(private readonly api: FakeKube, readonly name: string) {}

  key(namespace: string | undefined, name: string): string {
    return `${namespace ?? ''}/${name}`;
  }

  /** Stores an object as the server would (uid, resourceVersion, creationTimestamp) and tells the watchers. */
  put(obj: T, type: WatchEventType = 'ADDED'): T {
    const meta = (obj.metadata ??= {});
    meta.uid ??= `uid-${this.name}-${++this.api.counter}`;
    meta.creationTimestamp ??= new Date(this.api.now());
    meta.resourceVersion = String(++this.api.resourceVersion);
    const stored = structuredClone(obj);
    const k = this.key(meta.namespace, meta.name!);
    const existed = this.objects.has(k);
    this.objects.set(k, stored);
    this.emit(existed && type === 'ADDED' ? 'MODIFIED' : type, stored);
    return structuredClone(stored);
  }

  remove(namespace: string | undefined, name: string): T | undefined {
    const k = this.key(namespace, name);
    const obj = this.objects.get(k);
    if (!obj) return undefined;
    this.objects.delete(k);
    obj.metadata!.resourceVersion = String(++this.api.resourceVersion);
    this.emit('DELETED', obj);
    return obj;
  }

  get(namespace: string | undefined, name: string): T | undefined {
    const o = this.objects.get(this.key(namespace, name));
    return o ? structuredClone(o) : undefined;
  }

  list(fieldSelector?: string, namespace?: string): ListResult<T> {
    const items = [...this.objects.values()]
      .filter((o) => matchesFields(o, fieldSelector) && (namespace === undefined || o.metadata?.namespace === namespace))
      .map((o) => structuredClone(o));
    return { items, resourceVersion: String(this.api.resourceVersion) };
  }

  watch(opts: WatchOptions, onEvent: (e: WatchEvent<T>) => void, onClose: (err?: Error) => void): WatchHandle {
    const w: Watcher = { opts, onEvent: onEvent as Watcher['onEvent'], onClose };
    this.watchers.add(w);
    return { stop: () => this.closeWatcher(w) };
  }

  /** Ends every watch of this resource, with `err` (or cleanly). */
  closeWatches(err?: Error): void {
    for (const w of [...this.watchers]) this.closeWatcher(w, err);
  }

  /** Sends an event to every watch as is (an ERROR Status, a BOOKMARK). */
  sendRaw(type: WatchEventType, object: unknown): void {
    for (const w of [...this.watchers]) w.onEvent({ type, object });
  }

  watchCount(): number {
    return this.watchers.size;
  }

  private closeWatcher(w: Watcher, err?: Error): void {
    if (!this.watchers.delete(w)) return;
    w.onClose(err);
  }

  private emit(type: WatchEventType, obj: T): void {
    for (const w of [...this.watchers]) {
      if (w.opts.namespace && w.opts.namespace !== obj.metadata?.namespace) continue;
      if (!matchesFields(obj, w.opts.fieldSelector)) continue;
      w.onEvent({ type, object: structuredClone(obj) });
    }
  }
}

/**
 * The fake API. `failNext(resource, verb, err)` makes the next matching call throw; `calls` records
 * every call in order. Namespaced objects are keyed by namespace and name.
 */
export class FakeKube {
  counter = 0;
  resourceVersion = 1000;
  readonly calls: FakeCall[] = [];
  readonly pods = new FakeResource<Obj>(this, 'pods');
  readonly nodes = new FakeResource<Obj>(this, 'nodes');
  readonly leases = new FakeResource<Obj>(this, 'leases');
  readonly events = new FakeResource<Obj>(this, 'events');
  readonly configMaps = new FakeResource<Obj>(this, 'configmaps');
  readonly secrets = new FakeResource<Obj>(this, 'secrets');
  readonly services = new FakeResource<Obj>(this, 'services');
  readonly csrs = new FakeResource<Obj>(this, 'certificatesigningrequests');
  /** Issued tokens, newest last. */
  readonly tokens: Array<{ namespace: string; serviceAccount: string; request: unknown; token: string }> = [];
  /** TokenReview: the users of the tokens the fake API knows; any other token is not authenticated. */
  readonly tokenUsers = new Map<string, V1UserInfo>();
  /** SubjectAccessReview: the decision for a review (default: no opinion, i.e. not allowed). */
  decideAccess: (review: V1SubjectAccessReview) => V1SubjectAccessReviewStatus = () => ({ allowed: false });
  private readonly failures: Array<{ resource: string; verb: string; err: Error }> = [];

  constructor(readonly now: () => number = Date.now) {}

  failNext(resource: string, verb: string, err: Error = new KubeApiError(0, 'Unavailable', 'injected failure')): void {
    this.failures.push({ resource, verb, err });
  }

  callsOf(resource: string, verb?: string): FakeCall[] {
    return this.calls.filter((c) => c.resource === resource && (!verb || c.verb === verb));
  }

  private async op<R>(resource: string, verb: string, key: string | undefined, body: unknown, fn: () => R): Promise<R> {
    this.calls.push({ resource, verb, key, body: body === undefined ? undefined : structuredClone(body) });
    await Promise.resolve();
    const i = this.failures.findIndex((f) => f.resource === resource && f.verb === verb);
    if (i >= 0) throw this.failures.splice(i, 1)[0].err;
    return fn();
  }

  client(): KubeClient {
    const notFound = (r: string, n: string) => new KubeApiError(404, 'NotFound', `${r} "${n}" not found`);
    const mustGet = <T extends Obj>(res: FakeResource<T>, ns: string | undefined, name: string): T => {
      const o = res.get(ns, name);
      if (!o) throw notFound(res.name, name);
      return o;
    };
    const create = <T extends Obj>(res: FakeResource<T>, body: T): T => {
      const obj = structuredClone(body);
      const m = (obj.metadata ??= {});
      // metadata.generateName: the server appends a random suffix.
      if (!m.name && m.generateName) m.name = `${m.generateName}${(++this.counter).toString(36).padStart(5, '0')}`;
      if (res.get(m.namespace, m.name!)) throw new KubeApiError(409, 'AlreadyExists', `${res.name} "${m.name}" already exists`);
      return res.put(obj);
    };
    const merge = <T extends Obj>(res: FakeResource<T>, ns: string | undefined, name: string, patch: Obj, into?: string): T => {
      const cur = mustGet(res, ns, name);
      const pm = patch.metadata as V1ObjectMeta | undefined;
      if (pm?.uid && pm.uid !== cur.metadata?.uid) throw new KubeApiError(409, 'Conflict', `uid precondition failed for ${name}`);
      // A pod's status merges as the API server merges it (lists by key, null deletes); other statuses shallowly.
      const status = res.name === 'pods' && into === 'status' ? applyStatusPatch(cur.status as Obj, (patch.status ?? {}) as Obj) : undefined;
      const next = status ? { ...cur, status } : into ? { ...cur, [into]: { ...(cur[into] as object), ...(patch[into] as object) } } : deepMerge(cur, patch);
      return res.put(next as T, 'MODIFIED');
    };
    const self = this;
    const watchOf = <T extends Obj>(res: FakeResource<T>) => (o: WatchOptions, ev: (e: WatchEvent<T>) => void, close: (err?: Error) => void) => {
      self.calls.push({ resource: res.name, verb: 'watch', key: o.fieldSelector });
      return res.watch(o, ev, close);
    };
    return {
      server: 'https://fake.invalid',
      pods: {
        list: (q) => this.op('pods', 'list', q.fieldSelector, undefined, () => this.pods.list(q.fieldSelector)) as never,
        get: (ns, n) => this.op('pods', 'get', `${ns}/${n}`, undefined, () => mustGet(this.pods, ns, n)) as never,
        create: (p) => this.op('pods', 'create', `${p.metadata?.namespace}/${p.metadata?.name}`, p, () => create(this.pods, p as Obj)) as never,
        patchStatus: (ns, n, patch) => this.op('pods', 'patchStatus', `${ns}/${n}`, patch, () => merge(this.pods, ns, n, patch as Obj, 'status')) as never,
        delete: (ns, n, d) => this.op('pods', 'delete', `${ns}/${n}`, d, () => {
          const cur = mustGet(this.pods, ns, n);
          if (d?.uid && cur.metadata?.uid !== d.uid) throw new KubeApiError(409, 'Conflict', `uid precondition failed for ${n}`);
          this.pods.remove(ns, n);
        }),
        watch: watchOf(this.pods) as never,
      },
      nodes: {
        get: (n) => this.op('nodes', 'get', n, undefined, () => mustGet(this.nodes, undefined, n)) as never,
        create: (node) => this.op('nodes', 'create', node.metadata?.name, node, () => create(this.nodes, node as Obj)) as never,
        patch: (n, p) => this.op('nodes', 'patch', n, p, () => merge(this.nodes, undefined, n, p as Obj)) as never,
        // nodes/status may change metadata too (the kubelet puts labels back through it).
        patchStatus: (n, p) => this.op('nodes', 'patchStatus', n, p, () => merge(this.nodes, undefined, n, p as Obj)) as never,
        watch: watchOf(this.nodes) as never,
      },
      leases: {
        get: (ns, n) => this.op('leases', 'get', `${ns}/${n}`, undefined, () => mustGet(this.leases, ns, n)) as never,
        create: (l) => this.op('leases', 'create', l.metadata?.name, l, () => create(this.leases, l as Obj)) as never,
        update: (l) => this.op('leases', 'update', l.metadata?.name, l, () => {
          const cur = mustGet(this.leases, l.metadata?.namespace, l.metadata!.name!);
          if (l.metadata?.resourceVersion && l.metadata.resourceVersion !== cur.metadata?.resourceVersion) {
            throw new KubeApiError(409, 'Conflict', 'the object has been modified; please apply your changes to the latest version and try again');
          }
          return this.leases.put(structuredClone(l) as Obj, 'MODIFIED');
        }) as never,
      },
      events: {
        create: (e) => this.op('events', 'create', e.metadata?.name, e, () => create(this.events, e as unknown as Obj)) as never,
        patch: (ns, n, p) => this.op('events', 'patch', `${ns}/${n}`, p, () => merge(this.events, ns, n, p as Obj)) as never,
      },
      serviceAccounts: {
        createToken: (ns, sa, req) => this.op('serviceaccounts', 'createToken', `${ns}/${sa}`, req, () => {
          const seconds = req.spec?.expirationSeconds ?? 3600;
          const token = `token-${ns}-${sa}-${++this.counter}`;
          this.tokens.push({ namespace: ns, serviceAccount: sa, request: structuredClone(req), token });
          // The server fills in expirationSeconds when the request leaves it out.
          return { ...req, spec: { ...req.spec, expirationSeconds: seconds }, status: { token, expirationTimestamp: new Date(this.now() + seconds * 1000) } };
        }) as never,
      },
      configMaps: {
        get: (ns, n) => this.op('configmaps', 'get', `${ns}/${n}`, undefined, () => mustGet(this.configMaps, ns, n)) as never,
        list: (ns, q) => this.op('configmaps', 'list', `${ns}?${q.fieldSelector}`, undefined, () => this.configMaps.list(q.fieldSelector, ns)) as never,
        watch: watchOf(this.configMaps) as never,
      },
      secrets: {
        get: (ns, n) => this.op('secrets', 'get', `${ns}/${n}`, undefined, () => mustGet(this.secrets, ns, n)) as never,
        list: (ns, q) => this.op('secrets', 'list', `${ns}?${q.fieldSelector}`, undefined, () => this.secrets.list(q.fieldSelector, ns)) as never,
        watch: watchOf(this.secrets) as never,
      },
      services: {
        list: (ns) => this.op('services', 'list', ns, undefined, () => {
          const l = this.services.list();
          return ns ? { ...l, items: l.items.filter((s) => s.metadata?.namespace === ns) } : l;
        }) as never,
        watch: watchOf(this.services) as never,
      },
      certificateSigningRequests: {
        create: (c) => this.op('certificatesigningrequests', 'create', c.metadata?.name, c, () => create(this.csrs, c as unknown as Obj)) as never,
        get: (n) => this.op('certificatesigningrequests', 'get', n, undefined, () => mustGet(this.csrs, undefined, n)) as never,
        watch: watchOf(this.csrs) as never,
      },
      tokenReviews: {
        create: (r) => this.op('tokenreviews', 'create', undefined, r, () => {
          const user = this.tokenUsers.get(r.spec.token ?? '');
          return { ...r, status: user ? { authenticated: true, user: structuredClone(user) } : { authenticated: false, error: 'invalid token' } };
        }) as never,
      },
      subjectAccessReviews: {
        create: (r) => this.op('subjectaccessreviews', 'create', r.spec.user, r, () => ({ ...r, status: this.decideAccess(structuredClone(r)) })) as never,
      },
      close: () => undefined,
    };
  }
}

/**
 * A merge of plain objects, close enough to a strategic merge for the fakes' tests: scalars
 * replace, null deletes, lists of objects keyed by `type` (conditions, addresses) merge by it, a
 * `{$patch: 'replace'}` element makes its list replace, other lists replace.
 */
function deepMerge(a: unknown, b: unknown): unknown {
  if (b === null) return undefined;
  if (Array.isArray(b)) return mergeList(a, b);
  if (typeof a !== 'object' || a === null || Array.isArray(a) || typeof b !== 'object' || b instanceof Date) return b;
  const out: Record<string, unknown> = { ...(a as Record<string, unknown>) };
  for (const [k, v] of Object.entries(b as Record<string, unknown>)) out[k] = deepMerge(out[k], v);
  return out;
}

function mergeList(a: unknown, b: unknown[]): unknown[] {
  const isDirective = (x: unknown) => (x as { $patch?: string } | null)?.$patch === 'replace';
  if (b.some(isDirective)) return b.filter((x) => !isDirective(x));
  const keyed = (l: unknown[]) => l.length > 0 && l.every((x) => typeof (x as { type?: unknown } | null)?.type === 'string');
  if (!Array.isArray(a) || !keyed(b) || (a.length > 0 && !keyed(a))) return b;
  const out = [...a] as Array<{ type: string }>;
  for (const item of b as Array<{ type: string }>) {
    const i = out.findIndex((x) => x.type === item.type);
    if (i >= 0) out[i] = deepMerge(out[i], item) as { type: string };
    else out.push(item);
  }
  return out;
}
