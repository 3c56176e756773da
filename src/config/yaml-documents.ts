// Reads the YAML documents of a manifest text and stops at the first error, as the kubelet's decoder does (sigs.k8s.io/yaml over yaml.v2 reports one error).
//
// The yaml library reads on after an error and collects every one it finds, each quoting the text
// it stumbled on: a log file or random bytes give tens of thousands of them, and some inputs cost
// it minutes of CPU (a run of unclosed flow sequences, tab-indented lines). Here the parse goes
// token by token and ends at the first error, which is reported once, bounded, with its line,
// column and a short excerpt.
import { Composer, LineCounter, Parser, type CST, type Document, type DocumentOptions, type ParseOptions, type SchemaOptions } from 'yaml';
import { excerptAt, truncate, MAX_QUOTED_CHARS } from '../bounded.js';
import { dropNulls } from './shape.js';

/** One YAML document of a text: its value (nulls dropped; undefined for an empty document), or the first error met in it. */
export interface ManifestDocument { value: unknown; syntax?: string }

const TIMESTAMP_TAG = 'tag:yaml.org,2002:timestamp';

/**
 * YAML 1.1, as Go's yaml.v2 reads manifests: `defaultMode: 0644` is octal there, not 644. But
 * yaml.v2 leaves timestamps as strings when decoding untyped, so `date: 2024-01-01` is text.
 * uniqueKeys off: yaml.v2 decodes a repeated key (last one wins) unless asked to be strict, and
 * the kubelet's decoder (utilyaml.ToJSON) is not; the library's check is also quadratic in a
 * map's size (a valid 40,000-key map took minutes).
 */
const OPTIONS: ParseOptions & DocumentOptions & SchemaOptions = {
  version: '1.1',
  uniqueKeys: false,
  customTags: (tags) => tags.filter((t) => typeof t === 'string' || t.tag !== TIMESTAMP_TAG),
};

/** The first error, where it is, and whether the document the composer holds is still good (so it is kept). */
class FirstError extends Error {
  readonly offset: number;
  readonly heldIsGood: boolean;
  constructor(offset: number, message: string, heldIsGood: boolean) {
    super(message);
    this.offset = offset;
    this.heldIsGood = heldIsGood;
  }
}

/** The start of an error's source as the composer passes it (getErrorPos: an offset, a range, or a token). */
function offsetOf(source: unknown): number {
  if (typeof source === 'number') return source;
  if (Array.isArray(source)) return Number(source[0] ?? 0);
  return Number((source as { offset?: number })?.offset ?? 0);
}

/**
 * Makes the composer throw at its first error instead of collecting them all. The composer takes
 * its error handler from an own property at each document; if a later library version changes
 * that, the parse still works and errors are still reported first-only, just not as early.
 */
function stopAtFirstError(composer: Composer): void {
  const c = composer as unknown as { onError?: unknown };
  if (typeof c.onError !== 'function') return;
  // The library catches what a collection throws (its guard against stack overflow) and reports
  // it again on the outer token: the first error is thrown again, unchanged.
  let first: FirstError | undefined;
  c.onError = (source: unknown, _code: string, message: string, warning?: boolean) => {
    if (!warning) throw (first ??= new FirstError(offsetOf(source), message, true));
  };
}

function describe(text: string, lines: LineCounter, offset: number, message: string): string {
  const { line, col } = lines.linePos(offset);
  // The library quotes the token it stumbled on (`Unexpected scalar ...: "<the token>"`); the excerpt shows it, bounded.
  const what = truncate(message.split('\n')[0]!.replace(/:\s*".*$/s, '').replace(/:$/, ''), MAX_QUOTED_CHARS);
  return `${what} at line ${line}, column ${col}: ${excerptAt(text, offset)}`;
}

/** What one parse found, and where its first error is (for the prefix check). */
interface Parsed { docs: ManifestDocument[]; errorAt?: number; lastDoc?: CST.Document }

/** Parses text[0, end): the documents up to the first error. */
function parseDocuments(text: string, end: number): Parsed {
  const lines = new LineCounter();
  const parser = new Parser(lines.addNewLine);
  const composer = new Composer(OPTIONS);
  stopAtFirstError(composer);
  const docs: ManifestDocument[] = [];
  let lastDoc: CST.Document | undefined;
  /** A document the composer has made and not yet handed out (it does so when the next one starts). */
  let held = false;
  /** The held document has not been closed by `...`: an error token now belongs to it. */
  let open = false;
  const take = (doc: Document.Parsed) => {
    const err = doc.errors[0];
    if (err) throw new FirstError(err.pos[0], err.message, false);
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (e) {
      throw new FirstError(doc.range[0], `cannot decode: ${(e as Error).message}`, false);
    }
    docs.push({ value: dropNulls(value) });
  };
  try {
    for (const token of parser.parse(end < text.length ? text.slice(0, end) : text)) {
      if (token.type === 'error') throw new FirstError(token.offset, token.message, !open);
      if (token.type === 'document') lastDoc = token;
      for (const doc of composer.next(token)) take(doc);
      if (token.type === 'document') held = open = true;
      else if (token.type === 'doc-end') open = false;
      const pending = composer.streamInfo().errors[0];
      if (pending) throw new FirstError(pending.pos[0], pending.message, true);
    }
    for (const doc of composer.end(false, end)) take(doc);
  } catch (err) {
    if (!(err instanceof FirstError)) throw err;
    // The document before the bad one is complete and good: keep it, then stop.
    if (held && err.heldIsGood) {
      try {
        for (const doc of composer.end(false, end)) take(doc);
      } catch (e) {
        if (!(e instanceof FirstError)) throw e;
      }
    }
    docs.push({ value: undefined, syntax: describe(text, lines, err.offset, err.message) });
    return { docs, errorAt: err.offset, lastDoc };
  }
  return { docs, lastDoc };
}

/**
 * Where a parse of a prefix can be trusted: before the innermost construct still open at the cut.
 * The parser reads left to right and adds to the last item of each collection, so what is open
 * is the chain of last items; everything before the deepest one's start is closed (or is the
 * key, indicator or start of an open item) and reads the same in the whole text, and so does an
 * error there. An error from the open part (a flow sequence closed further down, a quoted string
 * going on past the cut) proves nothing.
 */
function settledBefore(doc: CST.Document | undefined): number {
  if (!doc) return 0;
  let settled = doc.offset;
  let node: CST.Token | null | undefined = doc.value;
  while (node && 'items' in node && node.items.length > 0) {
    const last: CST.CollectionItem = node.items[node.items.length - 1]!;
    const starts = [last.start[0]?.offset, last.key?.offset, last.sep?.[0]?.offset, last.value?.offset].filter((n): n is number => n !== undefined);
    if (starts.length > 0) settled = Math.max(settled, Math.min(...starts));
    node = last.value ?? last.key;
  }
  if (node && 'offset' in node) settled = Math.max(settled, node.offset);
  return settled;
}

/** The first prefix tried for a long text, then four times longer each time. */
const PREFIX_CHARS = 16 * 1024;

/**
 * The documents of a text, in order, up to the first error: the document it is in carries it
 * (`syntax`) and ends the list, so what follows is not read. A document that cannot be turned
 * into a value (too many aliases, nesting too deep for the stack) is an error too.
 *
 * The library builds a document's whole syntax tree before it reports anything (about 90 MB and
 * seconds for a 1 MB document), so a long text is first read by prefixes cut at a line break:
 * an error where the prefix is settled is the text's first error, found at the cost of the
 * prefix. A good text costs at most a third more than one parse.
 */
export function readDocuments(text: string): ManifestDocument[] {
  for (let size = PREFIX_CHARS; size < text.length; size *= 4) {
    const cut = text.lastIndexOf('\n', size - 1) + 1;
    if (cut <= 0) continue;
    const part = parseDocuments(text, cut);
    if (part.errorAt !== undefined && part.errorAt < settledBefore(part.lastDoc)) return part.docs;
  }
  return parseDocuments(text, text.length).docs;
}
