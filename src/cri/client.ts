// Creates the CRI client: one gRPC channel per endpoint, both services behind one CriRuntime object.
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { parseEndpoint, type CriEndpoint } from './endpoint.js';
import { createImageService } from './image-service.js';
import { loadCriServices, runtimeServiceWithListCache } from './proto.js';
import { DEFAULT_TIMEOUT_MS, type CriCallObserver } from './rpc.js';
import { createRuntimeService } from './runtime-service.js';
import type { CriRuntime } from './types.js';

/** The kubelet's maxMsgSize: a ListContainers on a busy node easily exceeds gRPC's 4 MiB default. */
export const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

/**
 * Channel options. The reconnect back-off mirrors the kubelet's remote runtime (100 ms base,
 * 3 s cap), so that after containerd restarts the channel re-dials within seconds instead of
 * gRPC's default two-minute cap. Channelz is off: nothing reads it, and it books every call
 * (two CRI lists a second at steady state).
 */
export const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
  'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  'grpc.initial_reconnect_backoff_ms': 100,
  'grpc.max_reconnect_backoff_ms': 3000,
  'grpc.enable_channelz': 0,
};

export interface CriClientOptions {
  /** `unix:///path/to/containerd.sock` or a plain path (--container-runtime-endpoint). */
  runtimeEndpoint: string;
  /** Defaults to runtimeEndpoint (--image-service-endpoint). */
  imageEndpoint?: string;
  /** Default deadline per call (--runtime-request-timeout); 120000 when unset. */
  timeoutMs?: number;
  logger?: Logger;
  /** Told of every call on both services (src/metrics/runtime.ts counts them); the client stays unaware of metrics. */
  observer?: CriCallObserver;
}

export interface CriClient extends CriRuntime {
  readonly runtimeEndpoint: CriEndpoint;
  readonly imageEndpoint: CriEndpoint;
  /** Closes the channels; calls made afterwards fail. */
  close(): void;
}

export function createCriClient(opts: CriClientOptions): CriClient {
  const runtimeEndpoint = parseEndpoint(opts.runtimeEndpoint);
  const imageEndpoint = opts.imageEndpoint ? parseEndpoint(opts.imageEndpoint) : runtimeEndpoint;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const logger = opts.logger?.child({ component: 'cri' });
  const { ImageService } = loadCriServices();
  const RuntimeService = runtimeServiceWithListCache();
  const credentials = grpc.credentials.createInsecure();

  const runtimeClient = new RuntimeService(runtimeEndpoint.target, credentials, CHANNEL_OPTIONS);
  // Same endpoint: share the runtime client's channel rather than dialling the socket twice.
  const imageClient =
    imageEndpoint.target === runtimeEndpoint.target
      ? new ImageService(imageEndpoint.target, credentials, { ...CHANNEL_OPTIONS, channelOverride: runtimeClient.getChannel() })
      : new ImageService(imageEndpoint.target, credentials, CHANNEL_OPTIONS);

  const { observer } = opts;
  const runtime = createRuntimeService({ client: runtimeClient, timeoutMs, logger, observer });
  const images = createImageService({ client: imageClient, timeoutMs, logger, observer });
  return {
    ...runtime,
    ...images,
    runtimeEndpoint,
    imageEndpoint,
    close() {
      imageClient.close();
      runtimeClient.close();
    },
  };
}
