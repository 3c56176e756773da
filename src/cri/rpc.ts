// One unary CRI call: a deadline on every call, errors mapped to CriError, nulls dropped, a debug log line, an optional observer.
import type * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { fromGrpcError } from './errors.js';

/** The kubelet's --runtime-request-timeout default. */
export const DEFAULT_TIMEOUT_MS = 2 * 60_000;

export interface RpcContext {
  client: grpc.Client;
  /** Default deadline for calls that set none (the client's timeoutMs). */
  timeoutMs: number;
  logger?: Logger;
  /** Told of every finished call (the kubelet's instrumented runtime service); it must not throw. */
  observer?: CriCallObserver;
}

/** Called once per finished call with the RPC name (e.g. "ListPodSandbox"), its duration and whether it failed. */
export type CriCallObserver = (method: string, durationMs: number, failed: boolean) => void;

type UnaryMethod = (
  request: unknown,
  options: grpc.CallOptions,
  callback: (err: grpc.ServiceError | null, response?: unknown) => void,
) => grpc.ClientUnaryCall;

/**
 * Calls `method` (the RPC name as in the proto, e.g. "ContainerStatus") with a deadline of
 * `timeoutMs` from now. Failed calls are not retried: the kubelet's remote runtime does not retry
 * either, and the next call re-dials the socket by itself, so one failure never poisons the client.
 */
export function unary<Res>(ctx: RpcContext, method: string, request: object, timeoutMs: number, signal?: AbortSignal): Promise<Res> {
  const fn = (ctx.client as unknown as Record<string, UnaryMethod | undefined>)[method];
  if (typeof fn !== 'function') return Promise.reject(new Error(`the CRI proto has no RPC ${method}`));
  const started = Date.now();
  return new Promise<Res>((resolvePromise, reject) => {
    let cancel: (() => void) | undefined;
    const done = (err: unknown, response?: unknown) => {
      // The signal may outlive the call (a pod worker's): leave no listener behind.
      if (cancel) signal?.removeEventListener('abort', cancel);
      const ms = Date.now() - started;
      if (err) {
        const e = fromGrpcError(err, method);
        ctx.logger?.debug({ method, ms, code: e.codeName, details: e.details }, 'cri call failed');
        reject(e);
        ctx.observer?.(method, ms, true);
        return;
      }
      ctx.logger?.trace({ method, ms }, 'cri call');
      resolvePromise(dropNulls(response) as Res);
      ctx.observer?.(method, ms, false);
    };
    try {
      const call = fn.call(ctx.client, request, { deadline: started + timeoutMs }, done);
      // An aborted signal cancels the call: grpc-js then answers CANCELLED through done.
      if (signal?.aborted) call.cancel();
      else if (signal) {
        cancel = () => call.cancel();
        signal.addEventListener('abort', cancel, { once: true });
      }
    } catch (err) {
      // grpc-js throws synchronously on a closed client or a request it cannot serialize.
      done(err);
    }
  });
}

/**
 * proto-loader decodes an unset message field as null; types.ts models it as an absent optional
 * field, so nulls are removed, recursively through plain objects and arrays (Buffers are left as
 * they are). In place: the response is freshly decoded and ours alone, and a copy of every
 * ListContainers entry each relist second was the agent's largest steady cost after the decode.
 */
export function dropNulls<T>(value: T): T {
  // Frozen: an entry of the list cache (list-decode.ts), already without nulls.
  if (value === null || typeof value !== 'object' || Buffer.isBuffer(value) || Object.isFrozen(value)) return value;
  if (Array.isArray(value)) {
    for (const item of value) dropNulls(item);
    return value;
  }
  const obj = value as Record<string, unknown>;
  // for..in, not Object.keys: no array per object (decoded messages are plain, prototype-free of enumerables).
  for (const key in obj) {
    const v = obj[key];
    if (v === null || v === undefined) delete obj[key];
    else if (typeof v === 'object') dropNulls(v);
  }
  return value;
}

/** The deadline for one call: the caller's override, else the client default, plus any extension. */
export function callTimeout(ctx: RpcContext, opts: { timeoutMs?: number } | undefined, extraMs = 0): number {
  return (opts?.timeoutMs ?? ctx.timeoutMs) + extraMs;
}
