// Finds the dev runtime for e2e tests, starting it with scripts/runtime/up.sh when its socket is silent.
//
// Also a raw CRI call over grpc-js that needs no .proto (a minimal protobuf codec), so the dev
// runtime can be checked independently of the project's own CRI client.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';

export const REPO_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The dev registry (scripts/runtime/lib.sh REGISTRY_ADDR). */
export const REGISTRY = '127.0.0.1:5000';

/** `$MINI_KUBELET_RUNTIME_DIR`, else `<repo>/.runtime`, as the scripts resolve it. */
export function runtimeDir(): string {
  return path.resolve(process.env.MINI_KUBELET_RUNTIME_DIR ?? path.join(REPO_DIR, '.runtime'));
}

export function runtimeEndpoint(dir = runtimeDir()): string {
  return `unix://${path.join(dir, 'containerd.sock')}`;
}

// --- a protobuf wire codec just big enough for probes: strings, varints, nested messages ---
type Field = string | number | boolean | Buffer | Field[];
function varint(n: number): Buffer {
  const out: number[] = [];
  for (; n > 0x7f; n = Math.floor(n / 128)) out.push((n % 128) | 0x80);
  out.push(n);
  return Buffer.from(out);
}
/** Encodes {fieldNumber: value}; arrays repeat the field, Buffers are embedded messages. */
export function encodeMessage(fields: Record<number, Field>): Buffer {
  const parts: Buffer[] = [];
  const put = (no: number, v: Field): void => {
    if (Array.isArray(v)) return v.forEach((x) => put(no, x));
    if (typeof v === 'number' || typeof v === 'boolean') {
      parts.push(varint(no << 3), varint(Number(v)));
      return;
    }
    const bytes = typeof v === 'string' ? Buffer.from(v) : v;
    parts.push(varint((no << 3) | 2), varint(bytes.length), bytes);
  };
  for (const [no, v] of Object.entries(fields)) put(Number(no), v);
  return Buffer.concat(parts);
}
function readVarint(buf: Buffer, pos: number): [number, number] {
  let value = 0;
  for (let shift = 0; ; shift += 7) {
    const b = buf[pos++];
    value += (b & 0x7f) * 2 ** shift;
    if (!(b & 0x80)) return [value, pos];
  }
}
/** Decodes to fieldNumber -> values (Buffer for length-delimited, number for varint). */
export function decodeMessage(buf: Buffer): Record<number, Array<Buffer | number>> {
  const out: Record<number, Array<Buffer | number>> = {};
  for (let pos = 0; pos < buf.length; ) {
    let key: number;
    [key, pos] = readVarint(buf, pos);
    let value: Buffer | number;
    if ((key & 7) === 0) [value, pos] = readVarint(buf, pos);
    else if ((key & 7) === 2) {
      let len: number;
      [len, pos] = readVarint(buf, pos);
      value = buf.subarray(pos, pos + len);
      pos += len;
    } else if ((key & 7) === 1) [value, pos] = [buf.readDoubleLE(pos), pos + 8];
    else if ((key & 7) === 5) [value, pos] = [buf.readFloatLE(pos), pos + 4];
    else throw new Error(`unsupported wire type ${key & 7}`);
    (out[key >>> 3] ??= []).push(value);
  }
  return out;
}
export const fieldString = (msg: Record<number, Array<Buffer | number>>, no: number): string => String(msg[no]?.[0] ?? '');

/** One unary CRI call, e.g. criCall(ep, 'RuntimeService', 'Version', Buffer.alloc(0)). */
export function criCall(endpoint: string, service: 'RuntimeService' | 'ImageService', method: string,
  request: Buffer, timeoutMs = 5000): Promise<Buffer> {
  const client = new grpc.Client(endpoint, grpc.credentials.createInsecure());
  return new Promise<Buffer>((resolve, reject) => {
    client.makeUnaryRequest(`/runtime.v1.${service}/${method}`, (b: Buffer) => b, (b: Buffer) => b, request,
      new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (err, res) => (err ? reject(err) : resolve(res!)));
  }).finally(() => client.close());
}

export interface CriVersion { version: string; runtimeName: string; runtimeVersion: string; runtimeApiVersion: string }

/** RuntimeService/Version: the handshake a kubelet makes first. */
export async function criVersion(endpoint: string, timeoutMs = 3000): Promise<CriVersion> {
  const v = decodeMessage(await criCall(endpoint, 'RuntimeService', 'Version', Buffer.alloc(0), timeoutMs));
  return { version: fieldString(v, 1), runtimeName: fieldString(v, 2), runtimeVersion: fieldString(v, 3), runtimeApiVersion: fieldString(v, 4) };
}

/** Runs scripts/runtime/up.sh (progress on our stderr) and returns its stdout. */
export function runUp(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [path.join(REPO_DIR, 'scripts/runtime/up.sh')], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`scripts/runtime/up.sh exited with ${code}`))));
  });
}

/** The endpoint from up.sh's last stdout line, `CONTAINER_RUNTIME_ENDPOINT=unix://...`. */
export function parseEndpoint(upStdout: string): string {
  const last = upStdout.trim().split('\n').at(-1) ?? '';
  const m = /^CONTAINER_RUNTIME_ENDPOINT=(unix:\/\/.+)$/.exec(last);
  if (!m) throw new Error(`up.sh printed no endpoint line, last line: ${JSON.stringify(last)}`);
  return m[1];
}

let cached: Promise<{ endpoint: string; runtimeDir: string }> | undefined;

/**
 * The dev runtime's endpoint: at once if the project socket answers CRI and the registry answers,
 * else after up.sh.
 * Cached per process, so every e2e test in a file shares one check.
 */
export function ensureRuntime(): Promise<{ endpoint: string; runtimeDir: string }> {
  cached ??= (async () => {
    const dir = runtimeDir();
    const endpoint = runtimeEndpoint(dir);
    try {
      await criVersion(endpoint);
      // Pull tests need the registry too; up.sh restarts it if it alone went away.
      if (!(await fetch(`http://${REGISTRY}/v2/`, { signal: AbortSignal.timeout(2000) })).ok) throw new Error('registry down');
      return { endpoint, runtimeDir: dir };
    } catch {
      return { endpoint: parseEndpoint(await runUp()), runtimeDir: dir };
    }
  })();
  cached.catch(() => (cached = undefined)); // a failed start may be retried by the next caller
  return cached;
}
