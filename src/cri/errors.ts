// Maps gRPC statuses from the runtime to typed errors, so callers branch on kinds, not on strings.
import { status as Status } from '@grpc/grpc-js';

/** Any failed CRI call. `code` is the gRPC status code; `method` the RPC, e.g. "ContainerStatus". */
export class CriError extends Error {
  readonly code: Status;
  readonly method: string;
  /** The runtime's own message, without our prefix. */
  readonly details: string;

  constructor(code: Status, method: string, details: string, options?: { cause?: unknown }) {
    super(`${method}: ${Status[code] ?? `code ${code}`}: ${details}`, options);
    this.name = 'CriError';
    this.code = code;
    this.method = method;
    this.details = details;
  }

  get codeName(): string {
    return Status[this.code] ?? String(this.code);
  }
}

export class NotFoundError extends CriError {
  override readonly name = 'NotFoundError';
}
export class UnavailableError extends CriError {
  override readonly name = 'UnavailableError';
}
export class DeadlineExceededError extends CriError {
  override readonly name = 'DeadlineExceededError';
}
export class AlreadyExistsError extends CriError {
  override readonly name = 'AlreadyExistsError';
}
export class UnimplementedError extends CriError {
  override readonly name = 'UnimplementedError';
}
export class InvalidArgumentError extends CriError {
  override readonly name = 'InvalidArgumentError';
}
export class FailedPreconditionError extends CriError {
  override readonly name = 'FailedPreconditionError';
}
export class CanceledError extends CriError {
  override readonly name = 'CanceledError';
}

type CriErrorClass = new (code: Status, method: string, details: string, options?: { cause?: unknown }) => CriError;

const CLASS_BY_CODE: Partial<Record<Status, CriErrorClass>> = {
  [Status.NOT_FOUND]: NotFoundError,
  [Status.UNAVAILABLE]: UnavailableError,
  [Status.DEADLINE_EXCEEDED]: DeadlineExceededError,
  [Status.ALREADY_EXISTS]: AlreadyExistsError,
  [Status.UNIMPLEMENTED]: UnimplementedError,
  [Status.INVALID_ARGUMENT]: InvalidArgumentError,
  [Status.FAILED_PRECONDITION]: FailedPreconditionError,
  [Status.CANCELLED]: CanceledError,
};

/** Builds the typed error for a status code; fakes use it to fail the way the real client would. */
export function criError(code: Status, method: string, details: string, options?: { cause?: unknown }): CriError {
  const Cls = CLASS_BY_CODE[code] ?? CriError;
  return new Cls(code, method, details, options);
}

/** Converts whatever a grpc-js call rejected with into a CriError (already-typed errors pass through). */
export function fromGrpcError(err: unknown, method: string): CriError {
  if (err instanceof CriError) return err;
  const e = err as { code?: unknown; details?: unknown; message?: unknown } | null;
  if (e && typeof e.code === 'number' && Status[e.code] !== undefined) {
    const details = typeof e.details === 'string' && e.details !== '' ? e.details : String(e.message ?? '');
    return criError(e.code as Status, method, details, { cause: err });
  }
  return new CriError(Status.UNKNOWN, method, err instanceof Error ? err.message : String(err), { cause: err });
}

function hasCode(e: unknown, code: Status): boolean {
  return e instanceof CriError && e.code === code;
}

export const isNotFound = (e: unknown): boolean => hasCode(e, Status.NOT_FOUND);
export const isUnavailable = (e: unknown): boolean => hasCode(e, Status.UNAVAILABLE);
export const isDeadlineExceeded = (e: unknown): boolean => hasCode(e, Status.DEADLINE_EXCEEDED);
export const isAlreadyExists = (e: unknown): boolean => hasCode(e, Status.ALREADY_EXISTS);
export const isUnimplemented = (e: unknown): boolean => hasCode(e, Status.UNIMPLEMENTED);
