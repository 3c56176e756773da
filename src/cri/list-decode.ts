// Decodes ListContainers and ListPodSandbox answers entry by entry, reusing the decoded object of an entry an earlier answer already had.
//
// Why: the PLEG lists every container and sandbox of the node each second (as the kubelet's
// generic PLEG does), and at steady state almost every entry is what it was a second before.
// Decoding all of them anew was most of the agent's steady allocation (1.6 MB/s at 100 pods).
//
// Both answers are a single `repeated <message> <field> = 1`, and each entry is length-delimited
// on the wire, so an answer is split into entries without decoding them. An entry is known by its
// id, its state and its size: in CRI a container or sandbox is immutable once created except for
// its state (labels, annotations, image, metadata and creation time are fixed at create). Its
// bytes are not a key: containerd (Go) writes the label and annotation maps in a random order on
// every answer. A new entry is decoded by the library's own deserializer, as its bytes alone are
// a valid answer holding just that entry.
//
// Decoded entries are shared between answers (and callers of one CRI client; each client has its
// own cache, proto.ts), so they are deeply frozen: code that tried to change one would throw
// instead of changing what the next relist sees.
import protobuf from 'protobufjs/minimal.js';
import { dropNulls } from './rpc.js';

export type Deserialize = (buf: Buffer) => object;

/** Field 1, wire type 2 (length-delimited): the tag of every entry of the repeated field, and of an entry's id. */
const ENTRY_TAG = (1 << 3) | 2;
const ID_TAG = ENTRY_TAG;

interface Entry {
  value: object;
  /** The answer count when this entry was last in an answer. */
  seen: number;
}

export interface ListDecoderOptions {
  /** Entries absent from this many answers in a row are dropped; checked every this many answers. */
  sweepEvery?: number;
}

/**
 * A deserializer for an answer of one `repeated ... <field> = 1` (ListContainersResponse:
 * "containers", ListPodSandboxResponse: "items") whose entries have `string id = 1` and their
 * state enum at `stateField` (Container: 6, PodSandbox: 3). `decode` is the library's deserializer
 * of the whole answer. An answer with any other field is decoded whole by `decode`, uncached.
 */
export function cachingListDeserializer(field: string, stateField: number, decode: Deserialize, opts: ListDecoderOptions = {}): Deserialize & { cached(): number } {
  const stateTag = stateField << 3; // a varint (an enum)
  const sweepEvery = opts.sweepEvery ?? 64;
  const entries = new Map<string, Entry>();
  let answers = 0;

  const deserialize = (buf: Buffer): object => {
    // First each entry's bounds and key, so an answer of another shape is left whole to the library.
    const found: { start: number; end: number; key: string }[] = [];
    const reader = protobuf.Reader.create(buf);
    while (reader.pos < reader.len) {
      const start = reader.pos;
      if (reader.uint32() !== ENTRY_TAG) return dropNulls(decode(buf));
      const end = reader.uint32() + reader.pos;
      let id = '';
      let state = 0;
      while (reader.pos < end) {
        const tag = reader.uint32();
        if (tag === ID_TAG) id = reader.string();
        else if (tag === stateTag) state = reader.uint32();
        else reader.skipType(tag & 7);
      }
      // A field that ran past its entry: not a well-formed answer; the library says what is wrong.
      if (reader.pos !== end) return dropNulls(decode(buf));
      found.push({ start, end, key: `${id} ${state} ${end - start}` });
    }
    answers++;
    const items: object[] = [];
    for (const { start, end, key } of found) {
      let entry = entries.get(key);
      if (!entry) {
        const one = dropNulls(decode(buf.subarray(start, end)) as Record<string, object[] | undefined>);
        entry = { value: deepFreeze(one[field]?.[0] ?? {}), seen: answers };
        entries.set(key, entry);
      }
      entry.seen = answers;
      items.push(entry.value);
    }
    if (answers % sweepEvery === 0) {
      for (const [key, entry] of entries) if (answers - entry.seen >= sweepEvery) entries.delete(key);
    }
    return { [field]: items };
  };
  return Object.assign(deserialize, { cached: () => entries.size });
}

function deepFreeze<T extends object>(value: T): T {
  for (const key in value) {
    const v = value[key];
    if (v !== null && typeof v === 'object' && !ArrayBuffer.isView(v) && !Object.isFrozen(v)) deepFreeze(v);
  }
  return Object.freeze(value);
}
