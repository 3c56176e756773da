// The list cache of ListContainers/ListPodSandbox answers: same objects as the library decodes, reused while an entry's bytes are unchanged, frozen, swept.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs/minimal.js';
import { cachingListDeserializer, type Deserialize } from '../../src/cri/list-decode.js';
import { criProtoPath, LOADER_OPTIONS, loadCriServices, runtimeServiceWithListCache } from '../../src/cri/proto.js';
import { dropNulls } from '../../src/cri/rpc.js';

// The library's own (uncached) methods, to compare with.
const plain = protoLoader.loadSync(criProtoPath(), LOADER_OPTIONS)['runtime.v1.RuntimeService'] as protoLoader.ServiceDefinition;
const listContainers = plain.ListContainers!;
const libraryDecode = (buf: Buffer) => dropNulls(listContainers.responseDeserialize(buf)) as { containers: Record<string, unknown>[] };
const encode = (containers: object[]) => listContainers.responseSerialize({ containers });

const container = (id: string, state = 'CONTAINER_RUNNING') => ({
  id,
  podSandboxId: `sb-${id}`,
  metadata: { name: `c-${id}`, attempt: 2 },
  image: { image: 'busybox', annotations: { a: 'b' } },
  imageRef: 'sha256:abc',
  state,
  createdAt: 1_700_000_000_123_456_000,
  labels: { 'io.kubernetes.pod.uid': `uid-${id}` },
  annotations: { 'io.kubernetes.container.restartCount': '2' },
});

function fresh(opts?: { sweepEvery?: number }) {
  return cachingListDeserializer('containers', 6, listContainers.responseDeserialize as Deserialize, opts) as Deserialize & { cached(): number };
}

describe('cachingListDeserializer (ListContainers, ListPodSandbox)', () => {
  it('decodes an answer as the library does (names, enums, int64, defaults; nulls dropped)', () => {
    const wire = encode([container('a'), container('b', 'CONTAINER_EXITED'), { id: 'bare' }]);
    assert.deepEqual(fresh()(wire), libraryDecode(wire));
  });

  it('an empty answer is an empty list', () => {
    assert.deepEqual(fresh()(Buffer.alloc(0)), { containers: [] });
  });

  it('an entry with the same bytes as before is the same object; a changed one is decoded anew', () => {
    const decode = fresh();
    const first = decode(encode([container('a'), container('b')])) as { containers: object[] };
    const second = decode(encode([container('b'), container('a', 'CONTAINER_EXITED')])) as { containers: Record<string, unknown>[] };
    assert.equal(second.containers[0], first.containers[1], 'b unchanged (moved in the answer): reused');
    assert.notEqual(second.containers[1], first.containers[0], 'a changed state: a new object');
    assert.equal(second.containers[1]!.state, 'CONTAINER_EXITED');
  });

  it('the same entry with its maps in another order on the wire (containerd writes Go maps in random order) is the same object', () => {
    const decode = fresh();
    const ab = { ...container('m'), labels: { a: '1', b: '2' } };
    const ba = { ...container('m'), labels: { b: '2', a: '1' } };
    assert.notDeepEqual(encode([ab]), encode([ba]), 'the two answers differ in their bytes');
    const first = decode(encode([ab])) as { containers: object[] };
    const second = decode(encode([ba])) as { containers: object[] };
    assert.equal(second.containers[0], first.containers[0]);
  });

  it('entries are frozen, nested maps included: a change throws instead of reaching the next answer', () => {
    const { containers } = fresh()(encode([container('a')])) as { containers: Record<string, Record<string, string>>[] };
    const c = containers[0]!;
    assert.throws(() => {
      (c as Record<string, unknown>).state = 'CONTAINER_EXITED';
    }, TypeError);
    assert.throws(() => {
      c.labels!.extra = 'x';
    }, TypeError);
    assert.throws(() => {
      c.metadata!.name = 'other';
    }, TypeError);
  });

  it('an entry absent from sweepEvery answers in a row is dropped; one still listed stays', () => {
    const decode = fresh({ sweepEvery: 4 });
    decode(encode([container('a'), container('gone')]));
    assert.equal(decode.cached(), 2);
    for (let i = 0; i < 7; i++) decode(encode([container('a')]));
    assert.equal(decode.cached(), 1);
  });

  it('an answer with a field it does not know is decoded whole by the library, uncached', () => {
    // Field 2, varint 1, after the entries: not in today's ListContainersResponse.
    const wire = Buffer.concat([encode([container('a')]), Buffer.from([0x10, 0x01])]);
    const decode = fresh();
    assert.deepEqual(decode(wire), libraryDecode(wire));
    assert.equal(decode.cached(), 0);
  });

  it('each RuntimeService client constructor has its own caches: two runtimes never share an entry', () => {
    const A = runtimeServiceWithListCache();
    const B = runtimeServiceWithListCache();
    const sandboxes = A.service.ListPodSandbox!;
    const wire = sandboxes.responseSerialize({ items: [{ id: 's1', state: 'SANDBOX_READY', metadata: { name: 'p', namespace: 'default', uid: 'u', attempt: 0 } }] });
    const a1 = sandboxes.responseDeserialize(wire) as { items: object[] };
    const a2 = sandboxes.responseDeserialize(wire) as { items: object[] };
    assert.equal(a2.items[0], a1.items[0], 'one client: reused');
    assert.ok(Object.isFrozen(a1.items[0]));
    const b = B.service.ListPodSandbox!.responseDeserialize(wire) as { items: object[] };
    assert.notEqual(b.items[0], a1.items[0], 'another client: its own object');
    assert.deepEqual(b.items[0], a1.items[0]);
    // Same id, state and size, other content, on another runtime: not taken for the first one.
    const other = encode([{ ...container('c1'), labels: { 'io.kubernetes.pod.uid': 'uid-X1' } }]);
    const mine = encode([container('c1')]);
    assert.equal(other.length, mine.length);
    const fromA = A.service.ListContainers!.responseDeserialize(mine) as { containers: Record<string, Record<string, string>>[] };
    const fromB = B.service.ListContainers!.responseDeserialize(other) as { containers: Record<string, Record<string, string>>[] };
    assert.equal(fromA.containers[0]!.labels!['io.kubernetes.pod.uid'], 'uid-c1');
    assert.equal(fromB.containers[0]!.labels!['io.kubernetes.pod.uid'], 'uid-X1');
  });

  it('the shared service definitions (the fake CRI server uses them) decode without a cache', () => {
    const { RuntimeService } = loadCriServices();
    const wire = encode([container('z')]);
    const c1 = RuntimeService.service.ListContainers!.responseDeserialize(wire) as { containers: object[] };
    const c2 = RuntimeService.service.ListContainers!.responseDeserialize(wire) as { containers: object[] };
    assert.notEqual(c1.containers[0], c2.containers[0]);
  });

  it('an entry whose last field runs past the entry is decoded whole by the library (as it decides), uncached', () => {
    const entry = encode([container('a')]);
    const reader = protobuf.Reader.create(entry);
    reader.uint32(); // the entry's tag
    const length = reader.uint32();
    const body = entry.subarray(reader.pos);
    // The same bytes, with the entry's length one short: its last field ends past it.
    const bad = Buffer.concat([Buffer.from([0x0a]), protobuf.Writer.create().uint32(length - 1).finish(), body]);
    const decode = fresh();
    let expected: unknown;
    try {
      expected = libraryDecode(bad);
    } catch (err) {
      assert.throws(() => decode(bad), { message: (err as Error).message });
      return;
    }
    assert.deepEqual(decode(bad), expected);
    assert.equal(decode.cached(), 0);
  });
});
