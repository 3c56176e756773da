// Log options: the v1.PodLogOptions query parameters decoded and validated, then turned into the reader's options (kubelet NewLogOptions, ValidatePodLogOptions).

export type LogStreamSelection = 'All' | 'Stdout' | 'Stderr';

/** The query of GET /containerLogs/{namespace}/{pod}/{container}, decoded. */
export interface PodLogOptions {
  follow: boolean;
  previous: boolean;
  timestamps: boolean;
  tailLines?: number;
  limitBytes?: number;
  sinceSeconds?: number;
  /** RFC3339, as the query carries it. */
  sinceTime?: string;
  /** PodLogOptions.stream (Kubernetes 1.32+, PodLogsQuerySplitStreams). */
  stream: LogStreamSelection;
}

/** What the reader needs (kubelet: logs.LogOptions). */
export interface LogOptions {
  /** Last N lines; undefined reads all. */
  tail?: number;
  /** Stop after this many bytes of output; undefined is no limit. */
  bytes?: number;
  /** Unix ms; lines stamped before it are skipped. */
  since?: number;
  follow: boolean;
  timestamps: boolean;
  stream: LogStreamSelection;
}

/** A query the kubelet cannot decode (400) or that fails validation (422). */
export class LogOptionsError extends Error {
  constructor(readonly status: 400 | 422, message: string) {
    super(message);
  }
}

// strconv.ParseBool, which the parameter codec uses.
const TRUE = ['1', 't', 'T', 'TRUE', 'true', 'True'];
const FALSE = ['0', 'f', 'F', 'FALSE', 'false', 'False'];

function bool(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  if (v === null || v === '') return false;
  if (TRUE.includes(v)) return true;
  if (FALSE.includes(v)) return false;
  throw new LogOptionsError(400, `unable to decode query: ${name}=${JSON.stringify(v)} is not a boolean`);
}

function int(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (!/^[-+]?\d+$/.test(v)) throw new LogOptionsError(400, `unable to decode query: ${name}=${JSON.stringify(v)} is not an integer`);
  return Number(v);
}

const STREAMS: Record<string, LogStreamSelection> = { All: 'All', Stdout: 'Stdout', Stderr: 'Stderr' };

/** Decodes and validates the query (the kubelet server's getContainerLogs, then ValidatePodLogOptions). */
export function parsePodLogQuery(q: URLSearchParams): PodLogOptions {
  const params = new URLSearchParams(q);
  // Backwards compatibility, as in the kubelet: "tail" stands for tailLines, and "all" means no limit.
  const tail = params.get('tail');
  if (tail) {
    if (tail === 'all') params.delete('tailLines');
    else params.set('tailLines', tail);
  }
  const streamParam = params.get('stream');
  const stream = streamParam === null || streamParam === '' ? 'All' : STREAMS[streamParam];
  if (!stream) throw new LogOptionsError(422, `stream: Unsupported value: "${streamParam}": supported values: "All", "Stdout", "Stderr"`);
  const opts: PodLogOptions = {
    follow: bool(params, 'follow'),
    previous: bool(params, 'previous'),
    timestamps: bool(params, 'timestamps'),
    tailLines: int(params, 'tailLines'),
    limitBytes: int(params, 'limitBytes'),
    sinceSeconds: int(params, 'sinceSeconds'),
    sinceTime: params.get('sinceTime') || undefined,
    stream,
  };
  if (opts.tailLines !== undefined && opts.tailLines < 0) throw new LogOptionsError(422, 'tailLines: Invalid value: must be greater than or equal to 0');
  if (opts.limitBytes !== undefined && opts.limitBytes < 1) throw new LogOptionsError(422, 'limitBytes: Invalid value: must be greater than 0');
  if (opts.sinceSeconds !== undefined && opts.sinceTime !== undefined) {
    throw new LogOptionsError(422, 'at most one of `sinceTime` or `sinceSeconds` may be specified');
  }
  if (opts.sinceSeconds !== undefined && opts.sinceSeconds < 1) throw new LogOptionsError(422, 'sinceSeconds: Invalid value: must be greater than 0');
  if (opts.sinceTime !== undefined && Number.isNaN(Date.parse(opts.sinceTime))) {
    throw new LogOptionsError(400, `unable to decode query: sinceTime=${JSON.stringify(opts.sinceTime)} is not an RFC3339 time`);
  }
  return opts;
}

/** NewLogOptions: sinceSeconds counts back from now; a later sinceTime wins. */
export function toLogOptions(api: PodLogOptions, now: number): LogOptions {
  let since: number | undefined;
  if (api.sinceSeconds !== undefined) since = now - api.sinceSeconds * 1000;
  if (api.sinceTime !== undefined) {
    const t = Date.parse(api.sinceTime);
    if (since === undefined || t > since) since = t;
  }
  return {
    tail: api.tailLines,
    bytes: api.limitBytes,
    since,
    follow: api.follow,
    timestamps: api.timestamps,
    stream: api.stream,
  };
}
