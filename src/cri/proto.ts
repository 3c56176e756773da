// Loads proto/api.proto once and hands out the runtime.v1 service constructors and the decode options.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { cachingListDeserializer, type Deserialize } from './list-decode.js';

/**
 * How messages are decoded, the assumption behind every type in types.ts: camelCase fields,
 * enums as their names, int64 as JS numbers (nanosecond timestamps fit to ~0.1 µs), unset
 * scalars filled with their defaults.
 */
export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
};

/**
 * Finds proto/api.proto by walking up from this module, so the same code works from src/cri
 * (run through tsx) and from dist/cri (after tsc), whatever the working directory.
 */
export function criProtoPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'proto', 'api.proto');
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('proto/api.proto not found above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

export interface CriServices {
  RuntimeService: grpc.ServiceClientConstructor;
  ImageService: grpc.ServiceClientConstructor;
  packageDefinition: protoLoader.PackageDefinition;
}

let cached: CriServices | undefined;

/** The runtime.v1 service constructors (clients) and service definitions (servers). */
export function loadCriServices(): CriServices {
  if (cached) return cached;
  const packageDefinition = protoLoader.loadSync(criProtoPath(), LOADER_OPTIONS);
  const root = grpc.loadPackageDefinition(packageDefinition) as unknown as {
    runtime: { v1: { RuntimeService: grpc.ServiceClientConstructor; ImageService: grpc.ServiceClientConstructor } };
  };
  cached = {
    RuntimeService: root.runtime.v1.RuntimeService,
    ImageService: root.runtime.v1.ImageService,
    packageDefinition,
  };
  return cached;
}

/**
 * A RuntimeService client constructor whose ListContainers and ListPodSandbox decode only the
 * entries that changed (list-decode.ts). Each call makes new caches, so each CRI client (one per
 * runtime endpoint) has its own: decoded entries are never shared between two runtimes.
 */
export function runtimeServiceWithListCache(): grpc.ServiceClientConstructor {
  const { RuntimeService } = loadCriServices();
  const service: Record<string, grpc.MethodDefinition<object, object>> = { ...RuntimeService.service };
  for (const [rpc, field, stateField] of [['ListContainers', 'containers', 6], ['ListPodSandbox', 'items', 3]] as const) {
    const method = RuntimeService.service[rpc]!;
    service[rpc] = { ...method, responseDeserialize: cachingListDeserializer(field, stateField, method.responseDeserialize as Deserialize) };
  }
  return grpc.makeGenericClientConstructor(service as grpc.ServiceDefinition, 'RuntimeService');
}
