// One watch request over client-node's Watch, as our Watchable: events in order, one onClose, stop() at any time.
import { Watch, type KubeConfig } from '@kubernetes/client-node';
import { ObjectSerializer } from '@kubernetes/client-node/dist/serializer.js';
import type { WatchConfig } from './credentials.js';
import { toKubeApiError } from './errors.js';
import type { WatchEvent, WatchEventType, WatchHandle, WatchOptions } from './types.js';

const TYPES = new Set<WatchEventType>(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR']);

/** The typed form of a watched object; an object the model cannot read is passed on as sent. */
function decode(object: unknown, model: string): unknown {
  try {
    return ObjectSerializer.deserialize(object, model);
  } catch {
    return object;
  }
}

/**
 * `prefix` is the API group's path (/api/v1, /apis/<group>/<version>), `resource` the plural.
 * Bookmarks are always asked for (allowWatchBookmarks), so a quiet watch still learns newer
 * resourceVersions to resume from, as client-go's reflector does. `model` (e.g. "V1Pod") decodes
 * the objects as the typed calls do (times as Dates): a watched object and the same object from a
 * list must look the same, or a resync would take every time field for a change. ERROR events
 * keep their metav1.Status as sent.
 */
export function watchPath<T>(config: WatchConfig, prefix: string, resource: string, model?: string) {
  // Watch reads only the server and the request options (agent, headers) from its KubeConfig.
  const kc = config as unknown as KubeConfig;
  return (opts: WatchOptions, onEvent: (e: WatchEvent<T>) => void, onClose: (err?: Error) => void): WatchHandle => {
    const path = opts.namespace ? `${prefix}/namespaces/${encodeURIComponent(opts.namespace)}/${resource}` : `${prefix}/${resource}`;
    let stopped = false;
    let closed = false;
    let controller: AbortController | undefined;
    const close = (err?: unknown) => {
      if (closed) return;
      closed = true;
      onClose(stopped || !err ? undefined : toKubeApiError(err));
    };
    const query = {
      fieldSelector: opts.fieldSelector,
      labelSelector: opts.labelSelector,
      resourceVersion: opts.resourceVersion,
      timeoutSeconds: opts.timeoutSeconds,
      allowWatchBookmarks: true,
    };
    new Watch(kc)
      .watch(
        path,
        query,
        (type, object) => {
          if (stopped || closed || !TYPES.has(type as WatchEventType)) return;
          onEvent({ type: type as WatchEventType, object: (model && type !== 'ERROR' ? decode(object, model) : object) as T });
        },
        (err) => close(err),
      )
      .then((c) => {
        controller = c;
        if (stopped) c.abort();
      })
      .catch((err) => close(err));
    return {
      stop: () => {
        if (stopped) return;
        stopped = true;
        controller?.abort();
        close();
      },
    };
  };
}
