// A dependency-free CRI probe for the runtime scripts: `node cri.mjs SOCKET version|wait-ready [SECONDS]|teardown`.
//
// It speaks gRPC by hand over node:http2 with a ten-line protobuf codec, so up.sh works before
// `npm ci` and needs nothing from proto/ (which the project writes separately).
import http2 from 'node:http2';
import net from 'node:net';

const [sock, command = 'version', arg] = process.argv.slice(2);
if (!sock) {
  console.error('usage: node cri.mjs SOCKET version|wait-ready [SECONDS]|teardown');
  process.exit(2);
}

// --- protobuf: only length-delimited (2) and varint (0) fields are needed here ---
function encodeStrings(fields) {
  const parts = [];
  for (const [no, value] of Object.entries(fields)) {
    const bytes = Buffer.from(value);
    if (bytes.length > 127) throw new Error('encodeStrings: one-byte lengths only'); // ids are 64 chars
    parts.push(Buffer.from([(Number(no) << 3) | 2, bytes.length]), bytes);
  }
  return Buffer.concat(parts);
}
function readVarint(buf, pos) {
  let value = 0;
  let shift = 0;
  for (;;) {
    const b = buf[pos++];
    value += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if (!(b & 0x80)) return [value, pos];
  }
}
/** field number -> list of values (Buffer for length-delimited, number for varint). */
function decode(buf) {
  const out = {};
  for (let pos = 0; pos < buf.length; ) {
    let key;
    [key, pos] = readVarint(buf, pos);
    const no = key >>> 3;
    let value;
    if ((key & 7) === 0) [value, pos] = readVarint(buf, pos);
    else if ((key & 7) === 2) {
      let len;
      [len, pos] = readVarint(buf, pos);
      value = buf.subarray(pos, pos + len);
      pos += len;
    } else throw new Error(`unexpected wire type ${key & 7}`);
    (out[no] ??= []).push(value);
  }
  return out;
}
const str = (msg, no) => msg[no]?.[0]?.toString() ?? '';

// --- gRPC unary call over HTTP/2 on the unix socket ---
function call(method, body = Buffer.alloc(0), timeoutMs = 5000) {
  return new Promise((resolve, reject) => {
    const session = http2.connect('http://localhost', { createConnection: () => net.connect(sock) });
    session.on('error', reject);
    const frame = Buffer.alloc(5);
    frame.writeUInt32BE(body.length, 1);
    const req = session.request({
      ':method': 'POST', ':path': `/runtime.v1.RuntimeService/${method}`,
      'content-type': 'application/grpc', te: 'trailers',
    });
    req.setTimeout(timeoutMs, () => req.close(http2.constants.NGHTTP2_CANCEL));
    const chunks = [];
    let status = null;
    let message = '';
    const takeStatus = (h) => {
      if (h['grpc-status'] !== undefined) [status, message] = [Number(h['grpc-status']), decodeURIComponent(h['grpc-message'] ?? '')];
    };
    req.on('response', takeStatus);
    req.on('trailers', takeStatus);
    req.on('data', (c) => chunks.push(c));
    req.on('error', reject);
    req.on('close', () => {
      session.close();
      if (status === null) return reject(new Error(`${method}: no gRPC status (timed out or not a gRPC server)`));
      if (status !== 0) return reject(new Error(`${method}: gRPC status ${status}: ${message}`));
      const data = Buffer.concat(chunks);
      resolve(decode(data.subarray(5, 5 + data.readUInt32BE(1))));
    });
    req.end(Buffer.concat([frame, body]));
  });
}

async function version() {
  const v = await call('Version');
  return `${str(v, 2)} ${str(v, 3)} (CRI ${str(v, 4)})`;
}

/** RuntimeReady and NetworkReady, as the kubelet reads them from Status. */
async function conditions() {
  const status = decode((await call('Status'))[1]?.[0] ?? Buffer.alloc(0)); // StatusResponse.status
  const result = {};
  for (const c of status[1] ?? []) {
    const cond = decode(c);
    result[str(cond, 1)] = { ok: (cond[2]?.[0] ?? 0) === 1, reason: str(cond, 3), message: str(cond, 4) };
  }
  return result;
}

async function waitReady(seconds) {
  const deadline = Date.now() + seconds * 1000;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const c = await conditions();
      if (c.RuntimeReady?.ok && c.NetworkReady?.ok) return version();
      last = JSON.stringify(c);
    } catch (err) {
      last = err.message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`CRI not ready after ${seconds}s: ${last}`);
}

/** Stops and removes every pod sandbox (and so every container) on this runtime. */
async function teardown() {
  const ids = ((await call('ListPodSandbox'))[1] ?? []).map((p) => str(decode(p), 1));
  for (const id of ids) {
    await call('StopPodSandbox', encodeStrings({ 1: id }), 60_000);
    await call('RemovePodSandbox', encodeStrings({ 1: id }), 60_000);
  }
  return `removed ${ids.length} pod sandbox(es)`;
}

const commands = { version, 'wait-ready': () => waitReady(Number(arg ?? 30)), teardown };
if (!commands[command]) {
  console.error(`unknown command ${command}`);
  process.exit(2);
}
try {
  console.log(await commands[command]());
} catch (err) {
  console.error(err.message);
  process.exit(1);
}
