// A real gRPC CRI server on a unix socket, backed by FakeCri, with per-RPC failure and delay injection and a call log.
import { existsSync, unlinkSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { CriError } from '../../src/cri/errors.js';
import { loadCriServices } from '../../src/cri/proto.js';
import { dropNulls } from '../../src/cri/rpc.js';
import { FakeCri } from './fake-cri.js';

// Decoded requests are loose by nature; each handler picks the fields its RPC defines.
type Req = any;
type Handler = (fake: FakeCri, req: Req) => Promise<object>;

const RUNTIME_HANDLERS: Record<string, Handler> = {
  Version: (f) => f.version(),
  Status: (f) => f.status(),
  RunPodSandbox: async (f, r) => ({ podSandboxId: await f.runPodSandbox(r.config, r.runtimeHandler) }),
  StopPodSandbox: async (f, r) => (await f.stopPodSandbox(r.podSandboxId), {}),
  RemovePodSandbox: async (f, r) => (await f.removePodSandbox(r.podSandboxId), {}),
  PodSandboxStatus: async (f, r) => ({ status: await f.podSandboxStatus(r.podSandboxId) }),
  ListPodSandbox: async (f, r) => ({ items: await f.listPodSandbox(r.filter) }),
  CreateContainer: async (f, r) => ({ containerId: await f.createContainer(r.podSandboxId, r.config, r.sandboxConfig) }),
  StartContainer: async (f, r) => (await f.startContainer(r.containerId), {}),
  StopContainer: async (f, r) => (await f.stopContainer(r.containerId, r.timeout), {}),
  RemoveContainer: async (f, r) => (await f.removeContainer(r.containerId), {}),
  ListContainers: async (f, r) => ({ containers: await f.listContainers(r.filter) }),
  ContainerStatus: async (f, r) => ({ status: await f.containerStatus(r.containerId) }),
  UpdateContainerResources: async (f, r) => (await f.updateContainerResources(r.containerId, r.linux ?? {}), {}),
  ReopenContainerLog: async (f, r) => (await f.reopenContainerLog(r.containerId), {}),
  ExecSync: (f, r) => f.execSync(r.containerId, r.cmd, r.timeout),
  Exec: async (f, r) => ({ url: await f.exec(r) }),
  Attach: async (f, r) => ({ url: await f.attach(r) }),
  PortForward: async (f, r) => ({ url: await f.portForward(r) }),
  ContainerStats: async (f, r) => ({ stats: await f.containerStats(r.containerId) }),
  ListContainerStats: async (f, r) => ({ stats: await f.listContainerStats(r.filter) }),
};

const IMAGE_HANDLERS: Record<string, Handler> = {
  ImageStatus: async (f, r) => ({ image: await f.imageStatus(r.image) }),
  PullImage: async (f, r) => ({ imageRef: await f.pullImage(r.image, r.auth, r.sandboxConfig) }),
  ListImages: async (f, r) => ({ images: await f.listImages(r.filter) }),
  RemoveImage: async (f, r) => (await f.removeImage(r.image), {}),
  ImageFsInfo: async (f) => ({ imageFilesystems: await f.imageFsInfo(), containerFilesystems: [] }),
};

/** A service that is not CRI, for "the peer speaks gRPC but not runtime.v1" cases. */
const OTHER_SERVICE: grpc.ServiceDefinition = {
  Ping: {
    path: '/test.Other/Ping',
    requestStream: false,
    responseStream: false,
    requestSerialize: (b: Buffer) => b,
    requestDeserialize: (b: Buffer) => b,
    responseSerialize: (b: Buffer) => b,
    responseDeserialize: (b: Buffer) => b,
  },
};

export interface LoggedCall {
  method: string; // the RPC name, e.g. "ContainerStatus"
  request: Req;
  /** The deadline the client sent, in ms since the epoch (Infinity when none). */
  deadline: number;
}

export interface FakeCriServerOptions {
  socketPath: string;
  /** 'cri' (default) serves both CRI services; 'other' serves only a non-CRI service. */
  serve?: 'cri' | 'other';
  fake?: FakeCri;
}

export class FakeCriServer {
  readonly socketPath: string;
  readonly endpoint: string;
  readonly fake: FakeCri;
  readonly calls: LoggedCall[] = [];
  private server: grpc.Server | undefined;
  private readonly failures = new Map<string, { code: grpc.status; details: string; times: number }>();
  private readonly delays = new Map<string, { ms: number; times: number }>();
  private readonly hangs: { method: string; match: (req: Req) => boolean; times: number }[] = [];

  constructor(private readonly opts: FakeCriServerOptions) {
    this.socketPath = opts.socketPath;
    this.endpoint = `unix://${opts.socketPath}`;
    this.fake = opts.fake ?? new FakeCri();
  }

  /** The next `times` calls of `method` (RPC name) fail with `code` before reaching the fake. */
  failNext(method: string, code: grpc.status, times = 1, details = `injected ${grpc.status[code]}`): void {
    this.failures.set(method, { code, details, times });
  }

  /** The next `times` calls of `method` answer only after `ms` (for deadline tests). */
  delayNext(method: string, ms: number, times = 1): void {
    this.delays.set(method, { ms, times });
  }

  /**
   * The next `times` calls of `method` whose request `match`es are never answered (a hung
   * runtime call): only the client's deadline ends them.
   */
  hangNext(method: string, match: (req: Req) => boolean = () => true, times = 1): void {
    this.hangs.push({ method, match, times });
  }

  callsOf(method: string): LoggedCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  async start(): Promise<void> {
    if (this.server) return;
    // A socket left by a killed server would make bind fail with EADDRINUSE.
    if (existsSync(this.socketPath)) unlinkSync(this.socketPath);
    const server = new grpc.Server();
    if ((this.opts.serve ?? 'cri') === 'cri') {
      const { RuntimeService, ImageService } = loadCriServices();
      server.addService(RuntimeService.service, this.implement(RUNTIME_HANDLERS));
      server.addService(ImageService.service, this.implement(IMAGE_HANDLERS));
    } else {
      server.addService(OTHER_SERVICE, { Ping: (_c: unknown, cb: grpc.sendUnaryData<Buffer>) => cb(null, Buffer.alloc(0)) });
    }
    await new Promise<void>((resolve, reject) =>
      server.bindAsync(this.endpoint, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())),
    );
    this.server = server;
  }

  /** Drops every connection at once, as a crashed runtime would. */
  async stop(): Promise<void> {
    this.server?.forceShutdown();
    this.server = undefined;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  private implement(handlers: Record<string, Handler>): grpc.UntypedServiceImplementation {
    const impl: grpc.UntypedServiceImplementation = {};
    for (const [method, handler] of Object.entries(handlers)) {
      impl[method] = (call: grpc.ServerUnaryCall<Req, object>, callback: grpc.sendUnaryData<object>) => {
        const deadline = call.getDeadline();
        const request = dropNulls(call.request);
        this.calls.push({ method, request, deadline: deadline instanceof Date ? deadline.getTime() : Number(deadline) });
        void this.handle(method, handler, request).then(
          (res) => callback(null, res),
          (err: unknown) => callback(toStatus(err)),
        );
      };
    }
    return impl;
  }

  private async handle(method: string, handler: Handler, request: Req): Promise<object> {
    const hang = this.hangs.find((h) => h.method === method && h.times > 0 && h.match(request));
    if (hang) {
      hang.times--;
      return new Promise<never>(() => undefined);
    }
    const delay = take(this.delays, method);
    if (delay) await new Promise((r) => setTimeout(r, delay.ms));
    const failure = take(this.failures, method);
    if (failure) throw Object.assign(new Error(failure.details), { code: failure.code, details: failure.details });
    return handler(this.fake, request);
  }
}

/** Starts a FakeCriServer on `socketPath`. */
export async function startFakeCriServer(opts: FakeCriServerOptions): Promise<FakeCriServer> {
  const server = new FakeCriServer(opts);
  await server.start();
  return server;
}

function take<T extends { times: number }>(map: Map<string, T>, method: string): T | undefined {
  const entry = map.get(method);
  if (!entry) return undefined;
  if (--entry.times <= 0) map.delete(method);
  return entry;
}

function toStatus(err: unknown): Partial<grpc.StatusObject> {
  if (err instanceof CriError) return { code: err.code, details: err.details };
  const e = err as { code?: number; details?: string; message?: string };
  return { code: e.code ?? grpc.status.UNKNOWN, details: e.details ?? e.message ?? String(err) };
}
