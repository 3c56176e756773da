// The contract every pod source (file, url, apiserver) implements: full snapshots of the pods it has now.
import type { V1Pod } from '@kubernetes/client-node';

/** A manifest (or one document of it) that was rejected: bad syntax, invalid, or a duplicate name. */
export interface ManifestError {
  /** The source's name, e.g. "file". */
  source: string;
  /** Where it came from (the file path; for multi-document files, the path plus "#<index>" is in the message). */
  path: string;
  /** The pod's name as written, when it could be read. */
  podName?: string;
  /** Field errors joined by "; ", like kubectl prints them. */
  message: string;
}

/** The FULL set of pods a source has right now (not a delta): podconfig diffs successive snapshots. */
export interface SourceSnapshot {
  source: string;
  /**
   * The source's full set. A pod object that was in the source's previous snapshot too is
   * unchanged (the pod config keeps its copy and does not compare it again): a source hands on a
   * new object for every change and never modifies one it has handed on.
   */
  pods: V1Pod[];
  errors: ManifestError[];
}

export interface PodSource {
  readonly name: string;
  /** Begins watching; resolves once the first snapshot has been emitted. */
  start(onSnapshot: (s: SourceSnapshot) => void): Promise<void>;
  stop(): Promise<void>;
}

/** Injected wall clock, so tests can drive seen/creation times. Unix milliseconds. */
export interface Clock {
  now(): number;
}

/** The slice of a pino logger the sources use (a pino Logger fits it). */
export interface SourceLogger {
  debug(obj: unknown, msg?: string): void;
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
}
