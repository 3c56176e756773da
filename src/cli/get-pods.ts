// What `get pods` does once its flags are parsed: list or watch the agent's pods and print them.
import type { V1Pod } from '@kubernetes/client-node';
import YAML from 'yaml';
import { getPodList, getRejectedManifests, watchPods } from './client.js';
import { formatPodTable, podTableRow, type PodTableOptions } from './format-pods.js';
import { formatRejected } from './format-rejected.js';
import { TableLayout } from './format-table.js';

export type OutputFormat = 'json' | 'yaml' | 'wide' | 'name';

export interface GetPodsRequest {
  server: string;
  name?: string;
  output?: OutputFormat;
  watch?: boolean;
  /** Only this namespace; undefined means all namespaces (the node view). */
  namespace?: string;
}

export interface GetIO {
  out(text: string): void;
  err(text: string): void;
  now(): number;
  /** Ends a watch (tests; the real CLI ends with Ctrl-C). */
  signal?: AbortSignal;
}

/** kubectl's NotFound for a named pod that is not there. */
export class PodNotFoundError extends Error {
  constructor(name: string) {
    super(`Error from server (NotFound): pods "${name}" not found`);
  }
}

function namespaceOf(pod: V1Pod): string {
  return pod.metadata?.namespace || 'default';
}

/** Prints pods in a non-table format; YAML documents after the first get a `---` separator. */
function printObjects(objects: unknown[], format: OutputFormat, io: GetIO, state: { printed: number }) {
  for (const obj of objects) {
    if (format === 'json') io.out(JSON.stringify(obj, null, 4) + '\n');
    else if (format === 'yaml') io.out((state.printed > 0 ? '---\n' : '') + YAML.stringify(obj));
    else io.out(`pod/${(obj as V1Pod).metadata?.name ?? ''}\n`);
    state.printed++;
  }
}

// The request's view of the pods: filters, and how a table is laid out.
function view(req: GetPodsRequest, io: GetIO) {
  return {
    matches: (p: V1Pod) =>
      (req.namespace === undefined || namespaceOf(p) === req.namespace) && (!req.name || p.metadata?.name === req.name),
    table: req.output === undefined || req.output === 'wide',
    tableOpts: (): PodTableOptions => ({ now: io.now(), wide: req.output === 'wide', withNamespace: req.namespace === undefined }),
  };
}

// The rejected manifests are an extension: an agent that cannot list them must not fail the command.
function rejectedManifests(server: string) {
  return getRejectedManifests({ server }).catch(() => []);
}

export async function getPods(req: GetPodsRequest, io: GetIO): Promise<void> {
  return req.watch ? watchAndPrint(req, io) : listAndPrint(req, io);
}

async function listAndPrint(req: GetPodsRequest, io: GetIO): Promise<void> {
  const { matches, table, tableOpts } = view(req, io);
  const list = await getPodList({ server: req.server, signal: io.signal });
  const pods = list.items.filter(matches);
  if (req.name && pods.length === 0) throw new PodNotFoundError(req.name);
  if (table && pods.length > 0) io.out(formatPodTable(pods, tableOpts()));
  else if (table) io.err(req.namespace === undefined ? 'No resources found\n' : `No resources found in ${req.namespace} namespace.\n`);
  else if (req.output === 'name') printObjects(pods, 'name', io, { printed: 0 });
  else printObjects([req.name && pods.length === 1 ? pods[0] : { ...list, items: pods }], req.output!, io, { printed: 0 });
  io.err(formatRejected(await rejectedManifests(req.server)));
}

// Holds the initial ADDED events until the bookmark, prints them as the first table, then a row per event.
async function watchAndPrint(req: GetPodsRequest, io: GetIO): Promise<void> {
  const { matches, table, tableOpts } = view(req, io);
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  io.signal?.addEventListener('abort', onAbort, { once: true });
  const rejected = rejectedManifests(req.server);
  const layout = new TableLayout();
  const printed = { printed: 0 };
  const print = (pods: V1Pod[]) => {
    if (pods.length === 0) return;
    if (!table) return printObjects(pods, req.output!, io, printed);
    const opts = tableOpts();
    io.out(printed.printed++ === 0 ? formatPodTable(pods, opts, layout) : layout.format(pods.map((p) => podTableRow(p, opts))));
  };
  let initial: V1Pod[] | undefined = [];
  let failure: Error | undefined;
  let rejectedPrinted: Promise<void> | undefined;
  const endInitial = () => {
    const pods = initial ?? [];
    initial = undefined;
    if (req.name && pods.length === 0) {
      failure = new PodNotFoundError(req.name);
      return stop.abort();
    }
    print(pods);
    rejectedPrinted = rejected.then((r) => io.err(formatRejected(r)));
  };
  try {
    await watchPods({ server: req.server, signal: stop.signal }, (e) => {
      if (e.type === 'BOOKMARK') return initial ? endInitial() : undefined;
      if (e.type === 'ERROR' || !matches(e.object)) return;
      if (initial) initial.push(e.object);
      else print([e.object]);
    });
    if (initial) endInitial(); // the agent closed the stream before its bookmark
  } finally {
    io.signal?.removeEventListener('abort', onAbort);
  }
  if (failure) throw failure;
  await rejectedPrinted;
}
