// gRPC status → typed CriError mapping, and the isX helpers callers branch on.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Metadata, status as Status } from '@grpc/grpc-js';
import {
  AlreadyExistsError,
  CanceledError,
  CriError,
  criError,
  DeadlineExceededError,
  fromGrpcError,
  isAlreadyExists,
  isDeadlineExceeded,
  isNotFound,
  isUnavailable,
  isUnimplemented,
  NotFoundError,
  UnavailableError,
  UnimplementedError,
} from '../../src/cri/errors.js';

/** What grpc-js rejects a unary call with. */
function serviceError(code: Status, details: string): Error {
  return Object.assign(new Error(`${code} ${Status[code]}: ${details}`), { code, details, metadata: new Metadata() });
}

describe('fromGrpcError', () => {
  const cases: [Status, new (...a: never[]) => CriError, (e: unknown) => boolean][] = [
    [Status.NOT_FOUND, NotFoundError, isNotFound],
    [Status.UNAVAILABLE, UnavailableError, isUnavailable],
    [Status.DEADLINE_EXCEEDED, DeadlineExceededError, isDeadlineExceeded],
    [Status.ALREADY_EXISTS, AlreadyExistsError, isAlreadyExists],
    [Status.UNIMPLEMENTED, UnimplementedError, isUnimplemented],
    [Status.CANCELLED, CanceledError, () => true],
  ];
  for (const [code, Cls, is] of cases) {
    it(`maps ${Status[code]} to ${Cls.name}`, () => {
      const e = fromGrpcError(serviceError(code, 'boom'), 'ContainerStatus');
      assert.ok(e instanceof Cls);
      assert.ok(e instanceof CriError);
      assert.equal(e.code, code);
      assert.equal(e.method, 'ContainerStatus');
      assert.equal(e.details, 'boom');
      assert.equal(e.codeName, Status[code]);
      assert.equal(e.message, `ContainerStatus: ${Status[code]}: boom`);
      assert.ok(is(e));
    });
  }

  it('keeps other codes as a plain CriError with the code', () => {
    const e = fromGrpcError(serviceError(Status.RESOURCE_EXHAUSTED, 'too big'), 'ListContainers');
    assert.equal(e.constructor, CriError);
    assert.equal(e.code, Status.RESOURCE_EXHAUSTED);
    assert.equal(isNotFound(e), false);
  });

  it('wraps non-gRPC errors as UNKNOWN, keeping the cause', () => {
    const cause = new TypeError('bad request shape');
    const e = fromGrpcError(cause, 'RunPodSandbox');
    assert.equal(e.code, Status.UNKNOWN);
    assert.equal(e.details, 'bad request shape');
    assert.equal(e.cause, cause);
  });

  it('passes CriErrors through unchanged', () => {
    const original = criError(Status.NOT_FOUND, 'PodSandboxStatus', 'gone');
    assert.equal(fromGrpcError(original, 'Other'), original);
  });

  it('isX helpers are false for foreign errors', () => {
    assert.equal(isNotFound(serviceError(Status.NOT_FOUND, 'raw grpc error')), false);
    assert.equal(isUnavailable(new Error('x')), false);
    assert.equal(isNotFound(undefined), false);
  });
});
