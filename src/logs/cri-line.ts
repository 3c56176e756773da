// One line of a CRI log file ("<RFC3339Nano> <stdout|stderr> <P|F>[:tags] <content>"): parsing and the timestamp format (kubelet logs.go parseCRILog).

export type LogStream = 'stdout' | 'stderr';

export interface CriLogLine {
  /** As the runtime wrote it (RFC3339Nano, in the runtime's time zone). */
  timestamp: string;
  stream: LogStream;
  /** P: the runtime cut a long (or unterminated) line; the next chunk of the same stream continues it. */
  partial: boolean;
  /** Without the line's newline. */
  content: Buffer;
}

// time.RFC3339NanoLenient: fractional seconds optional and of any length.
const TIMESTAMP = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/;

const SPACE = 0x20;
const NEWLINE = 0x0a;

/**
 * parseCRILog. Returns undefined for a line that is not CRI format (the kubelet logs and skips
 * those). The line may or may not end with its newline.
 */
export function parseCriLogLine(raw: Buffer): CriLogLine | undefined {
  const line = raw.length > 0 && raw[raw.length - 1] === NEWLINE ? raw.subarray(0, raw.length - 1) : raw;
  const t = line.indexOf(SPACE);
  if (t < 0) return undefined;
  const timestamp = line.toString('latin1', 0, t);
  if (!TIMESTAMP.test(timestamp)) return undefined;
  const s = line.indexOf(SPACE, t + 1);
  if (s < 0) return undefined;
  const stream = line.toString('latin1', t + 1, s);
  if (stream !== 'stdout' && stream !== 'stderr') return undefined;
  const tagEnd = line.indexOf(SPACE, s + 1);
  if (tagEnd < 0) return undefined;
  // The tag field may carry more tags after a ':' (runtimeapi.LogTagDelimiter), kept for forward
  // compatibility: only a first tag of P makes the line partial.
  const partial = line.toString('latin1', s + 1, tagEnd).split(':')[0] === 'P';
  return { timestamp, stream, partial, content: line.subarray(tagEnd + 1) };
}

/** types.RFC3339NanoFixed: the kubelet prints every timestamp with all nine fractional digits. */
export function formatTimestamp(timestamp: string): string {
  const m = TIMESTAMP.exec(timestamp);
  if (!m) return timestamp;
  return `${m[1]}.${(m[2] ?? '').padEnd(9, '0')}${m[3]}`;
}

/** Unix milliseconds of a CRI timestamp (for sinceTime); NaN when malformed. */
export function timestampMs(timestamp: string): number {
  return Date.parse(timestamp);
}
