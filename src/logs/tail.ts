// Where the last N lines of a CRI log file begin, read backwards in blocks (kubelet tail.FindTailLineStartIndex, counting joined lines).
import type { FileHandle } from 'node:fs/promises';
import { parseCriLogLine, type LogStream } from './cri-line.js';

const BLOCK = 64 * 1024;
const NEWLINE = 0x0a;

/** The raw lines of [0, end) from the last to the first, each with the offset where it starts. */
async function* linesBackward(fh: FileHandle, end: number): AsyncGenerator<{ offset: number; line: Buffer }> {
  let pos = end;
  // Bytes of lines not yet complete on their left: they start somewhere before pos.
  let carry = Buffer.alloc(0);
  while (pos > 0) {
    const from = Math.max(0, pos - BLOCK);
    const block = Buffer.alloc(pos - from);
    const { bytesRead } = await fh.read(block, 0, block.length, from);
    const data = Buffer.concat([block.subarray(0, bytesRead), carry]);
    pos = from;
    // Every newline but a final one ends the line before the line that starts after it.
    let cut = data.length;
    for (let i = data.length - 2; i >= 0; i--) {
      if (data[i] !== NEWLINE) continue;
      yield { offset: pos + i + 1, line: data.subarray(i + 1, cut) };
      cut = i + 1;
    }
    carry = data.subarray(0, cut);
  }
  if (carry.length > 0) yield { offset: 0, line: carry };
}

/**
 * The offset of the first raw line to read so that the last `n` lines of the kept streams come
 * out, `end` being the file size when it was looked at.
 *
 * A line is what the reader prints: the runtime's partial (P) chunks of one stream joined up to
 * their full (F) chunk, so a long line cut by the runtime counts once (the kubelet counts the
 * chunks). A line is counted by its end: reading starts after the F chunk of the line before, and
 * a stream's trailing P chunks with no F yet count as one line.
 */
export async function findTailStart(
  fh: FileHandle,
  end: number,
  n: number,
  keep: (stream: LogStream) => boolean = () => true,
): Promise<number> {
  if (n <= 0) return end;
  let counted = 0;
  const seenFull = new Set<LogStream>();
  const seenTrailing = new Set<LogStream>();
  for await (const { offset, line } of linesBackward(fh, end)) {
    const parsed = parseCriLogLine(line);
    if (!parsed || !keep(parsed.stream)) continue;
    if (parsed.partial) {
      // Earlier chunks of a line already counted (or of the trailing one) are not lines of their own.
      if (seenFull.has(parsed.stream) || seenTrailing.has(parsed.stream)) continue;
      seenTrailing.add(parsed.stream);
    } else {
      seenFull.add(parsed.stream);
    }
    counted++;
    if (counted > n) return offset + line.length;
  }
  return 0;
}
