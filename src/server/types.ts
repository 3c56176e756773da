// The read-only server's inputs: what it may ask the agent about pods, health and rejected manifests.
import type { V1Pod } from '@kubernetes/client-node';

/** A manifest a source refused (config's ManifestError has this shape). */
export interface RejectedManifest {
  source: string;
  path: string;
  podName?: string;
  message: string;
}

/** The agent's read-only view, as the server sees it. Implemented by the lead's wiring. */
export interface PodViewSource {
  /** The pods the agent runs now, with their live statuses. */
  pods(): V1Pod[];
  healthz(): { ok: boolean; message: string };
  rejected(): RejectedManifest[];
  /**
   * Calls cb after any change that may alter pods() (a status, an add, a delete). Returns the
   * unsubscribe function. cb must be cheap to call often: the server diffs on every call.
   */
  subscribe(cb: () => void): () => void;
}

/** The slice of a pino logger the server uses (a pino Logger fits it). */
export interface ServerLogger {
  debug(obj: unknown, msg?: string): void;
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
}
