// A gRPC health server (grpc.health.v1.Health/Check) on node:http2 alone, for the gRPC probe tests.
//
// Check answers SERVING for any service, NOT_SERVING while /tmp/not-serving exists, and the
// gRPC status NOT_FOUND for the service "missing"; other methods are UNIMPLEMENTED. Port: $PORT or 9090.
'use strict';
const http2 = require('node:http2');
const fs = require('node:fs');

function reply(stream, grpcStatus, message, payload) {
  stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
  stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': String(grpcStatus), 'grpc-message': encodeURIComponent(message) }));
  if (!payload) return stream.end();
  const frame = Buffer.alloc(5 + payload.length);
  frame.writeUInt32BE(payload.length, 1);
  payload.copy(frame, 5);
  stream.end(frame);
}

http2
  .createServer()
  .on('stream', (stream, headers) => {
    const chunks = [];
    stream.on('data', (c) => chunks.push(c));
    stream.on('end', () => {
      if (headers[':path'] !== '/grpc.health.v1.Health/Check') return reply(stream, 12, `unknown method ${headers[':path']}`);
      // HealthCheckRequest { string service = 1; }, after the 5-byte message prefix (short names only).
      const msg = Buffer.concat(chunks).subarray(5);
      const service = msg.length > 2 && msg[0] === 0x0a ? msg.subarray(2, 2 + msg[1]).toString('utf8') : '';
      if (service === 'missing') return reply(stream, 5, 'unknown service');
      const status = fs.existsSync('/tmp/not-serving') ? 2 : 1; // NOT_SERVING : SERVING
      reply(stream, 0, '', Buffer.from([0x08, status]));
    });
  })
  .listen(Number(process.env.PORT || 9090), '0.0.0.0', () => console.log('grpc health server listening'));
