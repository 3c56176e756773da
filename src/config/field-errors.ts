// Field errors worded and formatted as the API server's field.Error prints them (apimachinery util/validation/field).
//
// `path: Type: value: detail`, e.g. `spec.containers[1].name: Duplicate value: "app"`. Strings are
// quoted like Go's %q, numbers printed bare, so messages read exactly as kubectl shows them. A
// value is quoted in at most MAX_QUOTED_CHARS (a 1 MiB name is shown cut, never copied whole).
import { MAX_QUOTED_CHARS, quoteBounded, truncate } from '../bounded.js';

export type FieldErrorType =
  | 'Required value'
  | 'Invalid value'
  | 'Duplicate value'
  | 'Unsupported value'
  | 'Not found'
  | 'Forbidden'
  | 'Too long';

export interface FieldError {
  type: FieldErrorType;
  field: string;
  value?: unknown;
  detail?: string;
}

/** field.Error.Error(): Required/Forbidden/Too long print no value (kubelet: ErrorBody). */
export function formatFieldError(e: FieldError): string {
  const noValue = e.type === 'Required value' || e.type === 'Forbidden' || e.type === 'Too long';
  let body = noValue ? e.type : `${e.type}: ${quoteBounded(e.value ?? null)}`;
  if (e.detail) body += `: ${e.detail}`;
  // The path holds user keys too (metadata.labels[<key>]).
  return `${truncate(e.field, MAX_QUOTED_CHARS)}: ${body}`;
}

export const required = (field: string, detail?: string): FieldError => ({ type: 'Required value', field, detail });
export const invalid = (field: string, value: unknown, detail?: string): FieldError => ({ type: 'Invalid value', field, value, detail });
export const duplicate = (field: string, value: unknown): FieldError => ({ type: 'Duplicate value', field, value });
export const notFound = (field: string, value: unknown): FieldError => ({ type: 'Not found', field, value });
export const forbidden = (field: string, detail: string): FieldError => ({ type: 'Forbidden', field, detail });
export const tooLong = (field: string, detail: string): FieldError => ({ type: 'Too long', field, detail });

/** field.NotSupported: the supported values are listed quoted, in the order given. */
export function notSupported(field: string, value: unknown, supported: readonly string[]): FieldError {
  return {
    type: 'Unsupported value',
    field,
    value,
    detail: `supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}`,
  };
}
