// What the executor needs to carry actions out: the runtime, images, volumes, events, back-off and node settings.
import type { Logger } from 'pino';
import type { CriRuntime } from '../cri/types.js';
import type { EventRecorder } from '../events/recorder.js';
import type { VolumeManager } from '../volumes/manager.js';
import type { BackOff } from './backoff.js';
import type { ImageManager } from './images.js';
import type { SandboxOptions } from './translate/sandbox-config.js';

export interface ExecutorDeps {
  cri: CriRuntime;
  images: ImageManager;
  volumes: VolumeManager;
  recorder: EventRecorder;
  /** CrashLoopBackOff, keyed by crashLoopKey; the executor records each restart in it. */
  crashLoopBackOff: BackOff;
  logger: Logger;
  /** Unix ms. */
  clock: () => number;
  sandboxOptions: SandboxOptions;
  /** The node's IP, for the downward API (status.hostIP). */
  hostIP: string;
}
