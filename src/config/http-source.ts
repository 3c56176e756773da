// The HTTP pod source (--manifest-url): GETs a Pod or v1 PodList every --http-check-frequency and emits it as the source's full set (kubelet: config/http.go).
//
// As the kubelet's: the first GET at once, the next one a period after each ends (wait.Until), a
// 10 s client timeout, and the old pods kept whenever a GET fails or its body cannot be used.
import type { V1Pod } from '@kubernetes/client-node';
import { HTTP_SOURCE } from './annotations.js';
import { firstSeenStamper } from './first-seen.js';
import { parseHttpPods } from './http-pods.js';
import type { Clock, ManifestError, PodSource, SourceLogger } from './types.js';

export interface HttpSourceOptions {
  url: string;
  /** --manifest-url-header pairs in order; a name may come more than once. */
  headers?: ReadonlyArray<readonly [string, string]>;
  /** Already lowercased. */
  nodeName: string;
  /** --http-check-frequency, 20s by default. */
  checkFrequencyMs?: number;
  /** The kubelet's client timeout (10s), for a whole GET including its body. */
  timeoutMs?: number;
  clock?: Clock;
  logger: SourceLogger;
}

/** The kubelet's maxConfigLength: a longer body is an error rather than a memory hazard. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;
/** Failures logged at warn; later ones go to debug until a GET succeeds (run's failureLogs). */
const LOUD_FAILURES = 3;

const systemClock: Clock = { now: () => Date.now() };

async function readAtMost(res: Response, limit: number): Promise<Buffer> {
  if (!res.body) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let size = 0;
  // Leaving the loop early (the throw) cancels the rest of the stream.
  for await (const chunk of res.body) {
    size += chunk.byteLength;
    if (size > limit) throw new Error(`the read limit is reached (${limit} bytes)`);
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

/** Go's url.Error wording for a GET that got no answer: `Get "<url>": <why>`, with the socket's reason. */
function transportError(url: string, err: unknown): Error {
  const e = err as Error & { cause?: Error };
  const why = e.name === 'TimeoutError' ? 'Client.Timeout exceeded' : e.cause?.message ? `${e.message}: ${e.cause.message}` : String(e.message ?? e);
  return new Error(`Get "${url}": ${why}`);
}

export function createHttpSource(opts: HttpSourceOptions): PodSource {
  const { url, nodeName, logger } = opts;
  const checkFrequencyMs = opts.checkFrequencyMs ?? 20_000;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const headers = new Headers();
  // A repeated name goes out as one line with the values joined by ", ", which HTTP reads as the same.
  for (const [name, value] of opts.headers ?? []) headers.append(name, value);
  const stamp = firstSeenStamper(opts.clock ?? systemClock);

  let onSnapshot: Parameters<PodSource['start']>[0] | undefined;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  let stopping = new AbortController();
  /** The last body decoded (the kubelet's s.data): an identical body is not decoded again. */
  let lastBody: Buffer | undefined;
  /** Why lastBody could not be used, so an unchanged bad body keeps counting as a failure. */
  let lastBodyError: string | undefined;
  /** The pods of the last SET; undefined until the first, so a URL never read leaves the source unseen. */
  let pods: V1Pod[] | undefined;
  let errors: ManifestError[] = [];
  let failures = 0;

  function emit(next: V1Pod[], nextErrors: ManifestError[]): void {
    if (stopped) return;
    pods = next;
    errors = nextErrors;
    // Copies: the kept pods are emitted again beside new errors, and consumers own what they get.
    onSnapshot?.({ source: HTTP_SOURCE, pods: stamp(structuredClone(next)), errors: nextErrors });
  }

  /** One GET (extractFromURL). Returns when the body was used or is unchanged; throws what is logged as the failure. */
  async function extract(): Promise<void> {
    let data: Buffer;
    let res: Response;
    try {
      res = await fetch(url, { headers, signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), stopping.signal]) });
      data = await readAtMost(res, MAX_BODY_BYTES);
    } catch (err) {
      throw transportError(url, err);
    }
    if (res.status !== 200) throw new Error(`${url}: ${res.status} ${res.statusText}`.trimEnd());
    if (data.length === 0) {
      // An empty SET, so the source counts as seen and its pods stop; still a failure to the log.
      // The remembered body is dropped (the kubelet keeps it), so the same pod served again after
      // an empty answer starts again rather than being taken for unchanged.
      lastBody = undefined;
      lastBodyError = undefined;
      if (pods === undefined || pods.length > 0 || errors.length > 0) emit([], []);
      throw new Error(`zero-length data received from ${url}`);
    }
    if (lastBody?.equals(data)) {
      if (lastBodyError !== undefined) throw new Error(lastBodyError);
      return;
    }
    lastBody = data;
    const parsed = parseHttpPods(data.toString('utf8'), { url, nodeName });
    if ('pods' in parsed) {
      lastBodyError = undefined;
      emit(parsed.pods, []);
      return;
    }
    lastBodyError = parsed.error;
    // The whole update is refused and the old pods stay. Once there is a set to keep, the refusal
    // shows at /manifests/errors beside it; before that nothing is sent, as the kubelet sends
    // nothing, so the agent does not take the source for seen (and orphans for removable).
    if (pods !== undefined) emit(pods, parsed.errors);
    throw new Error(parsed.error);
  }

  /** run(): one GET and its log line, quieter after the first few failures in a row. */
  async function poll(): Promise<void> {
    try {
      await extract();
      if (failures > 0) logger.info({ url }, 'Successfully read pods from URL.');
      failures = 0;
    } catch (err) {
      if (stopped) return;
      const error = (err as Error).message;
      if (failures < LOUD_FAILURES) logger.warn({ url, err: error }, 'Failed to read pods from URL');
      else if (failures === LOUD_FAILURES) logger.warn({ url, err: error }, 'Failed to read pods from URL. Dropping verbosity of this message to debug');
      else logger.debug({ url, err: error }, 'Failed to read pods from URL');
      failures++;
    }
  }

  function scheduleNext(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      running = poll().then(scheduleNext);
    }, checkFrequencyMs);
  }

  return {
    name: HTTP_SOURCE,
    /** Resolves after the first GET whatever its outcome: a URL that is down must not hold up the agent. */
    async start(cb) {
      onSnapshot = cb;
      stopped = false;
      stopping = new AbortController();
      // Header names only: their values are often credentials.
      logger.info({ url, headers: [...new Set((opts.headers ?? []).map(([n]) => n))] }, 'watching URL for static pods');
      running = poll();
      await running;
      scheduleNext();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      stopping.abort();
      await running;
    },
  };
}
