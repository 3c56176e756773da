// API-server failures as one typed error (HTTP code, the Status reason, a bounded message), with the apierrors.IsX checks the kubelet uses.
/** A Status message or a network error can echo a whole object; logs and statuses keep at most this much. */
const MAX_MESSAGE = 512;

/**
 * An API request that failed. `code` is the HTTP status, or 0 when no answer came (refused,
 * reset, timed out); `reason` is metav1.Status's reason (NotFound, Conflict, AlreadyExists,
 * Expired, ...) or, for code 0, 'Unavailable' / 'Timeout'.
 */
export class KubeApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
  ) {
    super(bound(message));
    this.name = 'KubeApiError';
  }
}

export const isNotFound = (err: unknown): boolean => err instanceof KubeApiError && err.code === 404;
export const isConflict = (err: unknown): boolean => err instanceof KubeApiError && err.code === 409 && err.reason !== 'AlreadyExists';
export const isAlreadyExists = (err: unknown): boolean => err instanceof KubeApiError && err.code === 409 && err.reason === 'AlreadyExists';
/** 410: the resourceVersion asked for is older than etcd keeps; relist (client-go: apierrors.IsResourceExpired / IsGone). */
export const isGone = (err: unknown): boolean => err instanceof KubeApiError && (err.code === 410 || err.reason === 'Expired' || err.reason === 'Gone');
export const isForbidden = (err: unknown): boolean => err instanceof KubeApiError && err.code === 403;
/** No answer, or the server says try later: worth a retry with back-off. */
export const isRetriable = (err: unknown): boolean =>
  err instanceof KubeApiError && (err.code === 0 || err.code === 429 || err.code >= 500);

/** Any error from a client-node call (or our own watch) as a KubeApiError. */
export function toKubeApiError(err: unknown): KubeApiError {
  if (err instanceof KubeApiError) return err;
  if (isApiException(err)) {
    const status = asStatus(err.body);
    const reason = status?.reason ?? reasonForCode(err.code);
    return new KubeApiError(err.code, reason, status?.message ?? `${err.code} ${reason}`);
  }
  const e = err as { name?: string; message?: string; code?: string; statusCode?: number; type?: string };
  if (typeof e?.statusCode === 'number') return new KubeApiError(e.statusCode, reasonForCode(e.statusCode), e.message ?? String(e.statusCode));
  if (e?.name === 'AbortError' || e?.name === 'TimeoutError' || e?.type === 'aborted') {
    return new KubeApiError(0, 'Timeout', `no answer from the API server in time: ${e.message ?? 'aborted'}`);
  }
  return new KubeApiError(0, 'Unavailable', `the API server cannot be reached: ${e?.message ?? String(err)}`);
}

/**
 * client-node's ApiException ({code, body, headers}), recognised by shape: importing the class
 * would load all of client-node into an agent that never talks to an API server.
 */
function isApiException(err: unknown): err is { code: number; body: unknown } {
  const e = err as { code?: unknown; headers?: unknown } | null;
  return e instanceof Error && typeof e.code === 'number' && 'body' in e && typeof e.headers === 'object';
}

/** A metav1.Status from an error body, which client-node hands over parsed or as text. */
export function asStatus(body: unknown): { code?: number; reason?: string; message?: string } | undefined {
  let value = body;
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body);
    } catch {
      return body ? { message: body } : undefined;
    }
  }
  if (value && typeof value === 'object' && (value as { kind?: string }).kind === 'Status') {
    const s = value as { code?: number; reason?: string; message?: string };
    return { code: s.code, reason: s.reason || undefined, message: s.message };
  }
  return undefined;
}

function reasonForCode(code: number): string {
  const reasons: Record<number, string> = {
    400: 'BadRequest', 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 405: 'MethodNotAllowed',
    409: 'Conflict', 410: 'Gone', 422: 'Invalid', 429: 'TooManyRequests', 500: 'InternalError', 503: 'ServiceUnavailable', 504: 'Timeout',
  };
  return reasons[code] ?? 'Unknown';
}

function bound(s: string): string {
  return s.length <= MAX_MESSAGE ? s : `${s.slice(0, MAX_MESSAGE)}… (${s.length - MAX_MESSAGE} more characters)`;
}
