// The gRPC probe (probe/grpc): grpc.health.v1.Health/Check on the pod IP, with a two-field inline protobuf codec.
import * as grpc from '@grpc/grpc-js';
import { joinHostPort } from './target.js';
import { userAgent, type CheckOutcome } from './types.js';

const CHECK_METHOD = '/grpc.health.v1.Health/Check';
/** HealthCheckResponse.ServingStatus names, by number. */
const SERVING_STATUS = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'];
/** Go's codes.Code.String(), by number, for error texts as the kubelet prints them. */
const GO_CODES = [
  'OK', 'Canceled', 'Unknown', 'InvalidArgument', 'DeadlineExceeded', 'NotFound', 'AlreadyExists', 'PermissionDenied',
  'ResourceExhausted', 'FailedPrecondition', 'Aborted', 'OutOfRange', 'Unimplemented', 'Internal', 'Unavailable',
  'DataLoss', 'Unauthenticated',
];

/** HealthCheckRequest { string service = 1; } */
export function encodeHealthCheckRequest(service: string): Buffer {
  if (!service) return Buffer.alloc(0);
  const bytes = Buffer.from(service, 'utf8');
  return Buffer.concat([Buffer.from([0x0a]), varint(bytes.length), bytes]);
}

function varint(n: number): Buffer {
  const out: number[] = [];
  for (; n > 0x7f; n >>>= 7) out.push((n & 0x7f) | 0x80);
  out.push(n);
  return Buffer.from(out);
}

/** HealthCheckResponse { ServingStatus status = 1; }: the status number (0 when absent); unknown fields skipped. */
export function decodeHealthCheckResponse(buf: Buffer): number {
  let pos = 0;
  let status = 0;
  const readVarint = (): number => {
    let value = 0;
    for (let shift = 0; pos < buf.length; shift += 7) {
      const b = buf[pos++]!;
      value += (b & 0x7f) * 2 ** shift;
      if (!(b & 0x80)) break;
    }
    return value;
  };
  while (pos < buf.length) {
    const key = readVarint();
    const wire = key & 7;
    if (key >>> 3 === 1 && wire === 0) status = readVarint();
    else if (wire === 0) readVarint();
    else if (wire === 2) {
      const len = readVarint(); // read before adding: `pos += readVarint()` would use the old pos
      pos += len;
    }
    else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else break;
  }
  return status;
}

/** Go's time.Duration.String() for whole seconds: 1s, 1m30s, 1h0m0s. */
export function goDuration(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return h > 0 ? `${h}h${m}m${s}s` : `${m}m${s}s`;
}

/** grpcprobe Probe: connect within the timeout, then Check(service); only SERVING is a success. */
export async function doGrpcProbe(host: string, service: string, port: number, timeoutSeconds: number): Promise<CheckOutcome> {
  const addr = joinHostPort(host, port);
  const within = goDuration(timeoutSeconds);
  const deadline = Date.now() + timeoutSeconds * 1000;
  const client = new grpc.Client(addr, grpc.credentials.createInsecure(), {
    'grpc.primary_user_agent': userAgent('probe'),
    'grpc.enable_retries': 0,
  });
  try {
    // grpc.WithBlock: keep trying to connect until the deadline.
    const connected = await new Promise<boolean>((resolve) => client.waitForReady(deadline, (err) => resolve(!err)));
    if (!connected) {
      return { result: 'failure', output: `timeout: failed to connect service ${JSON.stringify(addr)} within ${within}: context deadline exceeded` };
    }
    const reply = await new Promise<{ err: grpc.ServiceError | null; status?: number }>((resolve) => {
      client.makeUnaryRequest(
        CHECK_METHOD,
        (req: string) => encodeHealthCheckRequest(req),
        (buf: Buffer) => decodeHealthCheckResponse(buf),
        service,
        new grpc.Metadata(),
        { deadline },
        (err, status) => resolve({ err, status }),
      );
    });
    if (reply.err) {
      const { code, details } = reply.err;
      if (code === grpc.status.UNIMPLEMENTED) {
        return { result: 'failure', output: `this server does not implement the grpc health protocol (grpc.health.v1.Health): ${details}` };
      }
      if (code === grpc.status.DEADLINE_EXCEEDED) return { result: 'failure', output: `timeout: health rpc did not complete within ${within}` };
      return { result: 'failure', output: `error: health rpc probe failed: rpc error: code = ${GO_CODES[code] ?? code} desc = ${details}` };
    }
    if (reply.status !== 1) {
      const name = SERVING_STATUS[reply.status ?? 0] ?? String(reply.status);
      return { result: 'failure', output: `service unhealthy (responded with ${JSON.stringify(name)})` };
    }
    return { result: 'success', output: 'service healthy' };
  } finally {
    client.close();
  }
}
