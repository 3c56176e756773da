// Bounds every text that carries user input (a manifest's values, a file's bytes) into a log line, an event, a status or an HTTP answer.
//
// One module, so every echo is cut the same way: a message is at most MAX_MESSAGE_CHARS, a quoted
// value at most MAX_QUOTED_CHARS, and nothing here ever builds the whole text it is about to cut
// (a 1 MiB value is never stringified only to keep its first 256 characters).

/**
 * A message (a rejected manifest, an event, a status message): the API's NoteLengthLimit for an
 * event's note (pkg/apis/core/validation/events.go), which the scheduler's truncateMessage also
 * applies to the pod conditions it writes.
 */
export const MAX_MESSAGE_CHARS = 1024;
/** One user value quoted inside a message: room for any valid name (253 characters) and its quotes. */
export const MAX_QUOTED_CHARS = 256;
/** The text shown at a parse error's position: enough to recognise the line. */
export const EXCERPT_CHARS = 40;
/** A string field of a log line: the logger's own safety net, above every message bound. */
export const MAX_LOG_FIELD_CHARS = 4096;

/** The largest index <= end that does not split a UTF-16 surrogate pair. */
function cutAt(text: string, end: number): number {
  const code = text.charCodeAt(end - 1);
  return end > 0 && code >= 0xd800 && code <= 0xdbff ? end - 1 : end;
}

/**
 * The text itself, or its head and how long it was, in at most `max` characters (the scheduler's
 * truncateMessage, with the length said, so a cut message reads as cut).
 */
export function truncate(text: string, max = MAX_MESSAGE_CHARS): string {
  if (text.length <= max) return text;
  const suffix = ` ... (${text.length} characters)`;
  if (suffix.length >= max) return text.slice(0, cutAt(text, max));
  return text.slice(0, cutAt(text, max - suffix.length)) + suffix;
}

/**
 * JSON for a value, stopped once `max` characters are written: the value is walked, never
 * stringified whole. Nesting past a few levels prints as "…" (a bad value is shown to be
 * recognised, not reproduced).
 */
export function boundedJSON(value: unknown, max = MAX_QUOTED_CHARS): string {
  let out = '';
  const full = () => out.length > max;
  const write = (v: unknown, depth: number): void => {
    if (full()) return;
    if (typeof v === 'string') out += JSON.stringify(v.length > max ? v.slice(0, cutAt(v, max)) : v);
    else if (v === null || v === undefined || typeof v === 'function' || typeof v === 'symbol') out += 'null';
    else if (typeof v !== 'object') out += String(v);
    else if (v instanceof Date) out += JSON.stringify(Number.isNaN(v.getTime()) ? null : v.toISOString());
    else if (depth >= 4) out += Array.isArray(v) ? '[…]' : '{…}';
    else if (Array.isArray(v)) {
      out += '[';
      for (let i = 0; i < v.length && !full(); i++) {
        if (i > 0) out += ',';
        write(v[i], depth + 1);
      }
      out += ']';
    } else {
      out += '{';
      let first = true;
      for (const k in v) {
        if (full()) break;
        if (!Object.prototype.hasOwnProperty.call(v, k)) continue;
        out += (first ? '' : ',') + JSON.stringify(k.length > max ? k.slice(0, cutAt(k, max)) : k) + ':';
        first = false;
        write((v as Record<string, unknown>)[k], depth + 1);
      }
      out += '}';
    }
  };
  write(value, 0);
  return truncate(out, max);
}

/** A value quoted for a message, as Go's %q prints strings and JSON prints the rest, in at most `max` characters. */
export function quoteBounded(value: unknown, max = MAX_QUOTED_CHARS): string {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return value.length <= max ? JSON.stringify(value) : truncate(JSON.stringify(value.slice(0, cutAt(value, max))), max);
  return boundedJSON(value, max);
}

/**
 * Parts joined by `sep` while they fit in `max` characters, then how many were left out
 * ("; and 41 more"). The first part is always there, cut if it is too long on its own.
 */
export function joinBounded(parts: readonly string[], sep = '; ', max = MAX_MESSAGE_CHARS): string {
  if (parts.length === 0) return '';
  // Room kept for the tail that says how many more there are.
  const tail = 32;
  let out = truncate(parts[0]!, parts.length > 1 ? max - tail : max);
  let i = 1;
  for (; i < parts.length; i++) {
    const next = sep + parts[i]!;
    if (out.length + next.length > (i === parts.length - 1 ? max : max - tail)) break;
    out += next;
  }
  return i < parts.length ? `${out}${sep}and ${parts.length - i} more` : out;
}

/** The text from `offset` to the end of its line, quoted, at most EXCERPT_CHARS of it: what a parse error points at. */
export function excerptAt(text: string, offset: number, max = EXCERPT_CHARS): string {
  const start = Math.max(0, Math.min(offset, text.length));
  // Only a bounded window is looked at, whatever the line's length.
  const window = text.slice(start, start + max + 1);
  const nl = window.search(/\r?\n/);
  const line = nl < 0 ? window : window.slice(0, nl);
  return line.length > max ? `${JSON.stringify(line.slice(0, cutAt(line, max)))}…` : JSON.stringify(line);
}
