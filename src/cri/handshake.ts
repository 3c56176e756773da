// First contact with the runtime: Version then Status, turning each way it can fail into one line that says what to do.
import { statSync } from 'node:fs';
import type { Logger } from 'pino';
import { fromGrpcError, isDeadlineExceeded, isUnavailable, isUnimplemented, type CriError } from './errors.js';
import type { CriEndpoint } from './endpoint.js';
import type { CriRuntime, RuntimeCondition, RuntimeStatusResponse, VersionResponse } from './types.js';

/** How long the handshake waits for each call; a runtime that needs longer to say hello is not well. */
export const HANDSHAKE_TIMEOUT_MS = 10_000;

export type RuntimeConnectFailure = 'unreachable' | 'not-cri-v1' | 'timeout' | 'failed';

/** Why the runtime could not be used at all. The message is always one line. */
export class RuntimeConnectError extends Error {
  override readonly name = 'RuntimeConnectError';
  constructor(
    readonly kind: RuntimeConnectFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(oneLine(message), options);
  }
}

export interface RuntimeInfo {
  version: VersionResponse;
  status: RuntimeStatusResponse;
  /** Both RuntimeReady and NetworkReady are true. */
  ready: boolean;
  /** One line per condition that is not true, in the kubelet's words; empty when ready. */
  problems: string[];
}

type Handshakeable = CriRuntime & { readonly runtimeEndpoint?: CriEndpoint };

/**
 * Calls Version, then Status. Throws RuntimeConnectError when the runtime cannot be reached, does
 * not speak CRI v1, or does not answer. A runtime that answers but reports RuntimeReady or
 * NetworkReady false is not an error here (the kubelet keeps running and reports the node not
 * ready); those come back in `problems`, and are logged as warnings when a logger is given.
 */
export async function connectRuntime(
  client: Handshakeable,
  opts: { timeoutMs?: number; logger?: Logger } = {},
): Promise<RuntimeInfo> {
  const endpoint = client.runtimeEndpoint;
  const where = endpoint?.target ?? 'the configured endpoint';
  const timeoutMs = opts.timeoutMs ?? HANDSHAKE_TIMEOUT_MS;
  let version: VersionResponse;
  let status: RuntimeStatusResponse;
  try {
    version = await client.version({ timeoutMs });
    status = await client.status({ timeoutMs });
  } catch (err) {
    throw explain(fromGrpcError(err, 'Version'), where, endpoint?.socketPath, timeoutMs);
  }
  const problems = conditionProblems(status.status?.conditions ?? []);
  for (const p of problems) opts.logger?.warn({ endpoint: where }, p);
  return { version, status, ready: problems.length === 0, problems };
}

/** kubelet updateRuntimeUp: a missing condition counts as not ready. */
export function conditionProblems(conditions: RuntimeCondition[]): string[] {
  const problems: string[] = [];
  const check = (type: string, lead: string) => {
    const c = conditions.find((x) => x.type === type);
    if (!c) problems.push(`${lead}: ${type} condition missing from the runtime status`);
    else if (!c.status) problems.push(oneLine(`${lead}: ${type}=false reason:${c.reason} message:${c.message}`));
  };
  check('RuntimeReady', 'container runtime not ready');
  check('NetworkReady', 'container runtime network not ready');
  return problems;
}

function explain(err: CriError, where: string, socketPath: string | undefined, timeoutMs: number): RuntimeConnectError {
  const method = err.method;
  if (isUnimplemented(err)) {
    return new RuntimeConnectError(
      'not-cri-v1',
      `the endpoint ${where} answers gRPC but not CRI v1 (runtime.v1.RuntimeService/${method} is unimplemented): ` +
        `point --container-runtime-endpoint at a CRI v1 runtime (containerd >= 1.6 with its "cri" plugin enabled)`,
      { cause: err },
    );
  }
  if (isUnavailable(err)) {
    return new RuntimeConnectError(
      'unreachable',
      `cannot reach the container runtime at ${where} (${unreachableReason(err, socketPath)}): is containerd running? ` +
        `start the dev runtime with "npm run runtime:up" or pass --container-runtime-endpoint`,
      { cause: err },
    );
  }
  if (isDeadlineExceeded(err)) {
    return new RuntimeConnectError(
      'timeout',
      `the container runtime at ${where} did not answer ${method} within ${timeoutMs / 1000}s: is it hung or overloaded?`,
      { cause: err },
    );
  }
  return new RuntimeConnectError('failed', `the container runtime at ${where} failed ${method}: ${err.details}`, {
    cause: err,
  });
}

/** Looks at the socket itself first: "no such socket" is the common case and the clearest. */
function unreachableReason(err: CriError, socketPath: string | undefined): string {
  if (socketPath) {
    try {
      if (!statSync(socketPath).isSocket()) return 'not a socket';
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return 'no such socket';
      if (code === 'EACCES') return 'permission denied';
    }
  }
  const details = err.details;
  if (details.includes('ECONNREFUSED')) return 'connection refused';
  if (details.includes('EACCES')) return 'permission denied';
  if (details.includes('ENOENT')) return 'no such socket';
  return oneLine(details) || 'unavailable';
}

function oneLine(s: string): string {
  return s.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}
