// Turns parsed CRI log lines into output: partial chunks joined, stream selected, since, timestamps, byte and line limits (kubelet logs.go logWriter).
import { formatTimestamp, timestampMs, type CriLogLine, type LogStream } from './cri-line.js';
import type { LogOptions } from './options.js';

/** Where the output goes: the HTTP response, a buffer in tests. May return a promise to apply back-pressure. */
export interface LogSink {
  write(chunk: Buffer): void | Promise<void>;
}

interface Pending {
  timestamp: string;
  chunks: Buffer[];
}

const NEWLINE = Buffer.from('\n');

/**
 * Each method returns true once the output is complete (limitBytes reached, or the tail's lines
 * all written when not following): the reader stops then.
 */
export class LogWriter {
  private readonly pending = new Map<LogStream, Pending>();
  private remainingBytes: number;
  private remainingLines: number;
  private done = false;

  constructor(private readonly opts: LogOptions, private readonly sink: LogSink) {
    this.remainingBytes = opts.bytes ?? Number.POSITIVE_INFINITY;
    // kubelet limitedMode: with tail and without follow, exactly that many lines.
    this.remainingLines = opts.tail !== undefined && !opts.follow ? opts.tail : Number.POSITIVE_INFINITY;
    if (this.remainingLines <= 0) this.done = true;
  }

  get finished(): boolean {
    return this.done;
  }

  keeps(stream: LogStream): boolean {
    return this.opts.stream === 'All' || this.opts.stream.toLowerCase() === stream;
  }

  /** One line of the file. P chunks wait for the F chunk of their stream; the line takes the first chunk's time. */
  async line(l: CriLogLine): Promise<boolean> {
    if (this.done || !this.keeps(l.stream)) return this.done;
    const p = this.pending.get(l.stream);
    if (l.partial) {
      if (p) p.chunks.push(l.content);
      else this.pending.set(l.stream, { timestamp: l.timestamp, chunks: [l.content] });
      return false;
    }
    this.pending.delete(l.stream);
    const content = p ? Buffer.concat([...p.chunks, l.content, NEWLINE]) : Buffer.concat([l.content, NEWLINE]);
    return this.emit(p?.timestamp ?? l.timestamp, content);
  }

  /**
   * The end of one container instance's log: a line left partial (the process wrote no final
   * newline) comes out as it is, without a newline, as the kubelet prints it.
   */
  async endOfInstance(): Promise<boolean> {
    for (const [stream, p] of [...this.pending]) {
      this.pending.delete(stream);
      if (await this.emit(p.timestamp, Buffer.concat(p.chunks))) return true;
    }
    return this.done;
  }

  private async emit(timestamp: string, content: Buffer): Promise<boolean> {
    if (this.done) return true;
    // logWriter.write: a line older than since is skipped.
    if (this.opts.since !== undefined && timestampMs(timestamp) < this.opts.since) return false;
    let out = this.opts.timestamps ? Buffer.concat([Buffer.from(`${formatTimestamp(timestamp)} `), content]) : content;
    if (out.length > this.remainingBytes) out = out.subarray(0, this.remainingBytes);
    if (out.length > 0) await this.sink.write(out);
    this.remainingBytes -= out.length;
    this.remainingLines--;
    if (this.remainingBytes <= 0 || this.remainingLines <= 0) this.done = true;
    return this.done;
  }
}
