// Small response writers both HTTP ports use: JSON, already-encoded JSON, plain text and metav1.Status errors.
import type http from 'node:http';
import { statusBody } from './encode.js';

export function sendJSON(res: http.ServerResponse, code: number, body: unknown, headers: http.OutgoingHttpHeaders = {}): void {
  sendJSONText(res, code, JSON.stringify(body), headers);
}

/** JSON already serialized (the pod list, joined from cached per-pod encodings). */
export function sendJSONText(res: http.ServerResponse, code: number, json: string, headers: http.OutgoingHttpHeaders = {}): void {
  res.writeHead(code, { 'Content-Type': 'application/json', ...headers });
  res.end(json);
}

export function sendText(res: http.ServerResponse, code: number, text: string, headers: http.OutgoingHttpHeaders = {}): void {
  res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff', ...headers });
  res.end(text);
}

/** A metav1.Status error body. */
export function sendStatus(res: http.ServerResponse, code: number, reason: string, message: string, headers: http.OutgoingHttpHeaders = {}): void {
  sendJSON(res, code, statusBody(code, reason, message), headers);
}

export function sendNotFound(res: http.ServerResponse): void {
  sendStatus(res, 404, 'NotFound', 'the server could not find the requested resource');
}
