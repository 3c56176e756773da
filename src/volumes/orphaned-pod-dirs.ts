// Removes pod directories under --root-dir that no pod owns any more (kubelet: cleanupOrphanedPodDirs, run from housekeeping).
//
// A pod's worker tears its directory down when the pod goes. What it cannot see are pods that went
// while the agent was down with nothing of them left in the runtime, or a teardown cut short by a
// crash: their directories (and any tmpfs emptyDir in them) would stay forever.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';

export interface OrphanedPodDirsOptions {
  rootDir: string;
  /** Unmounts what is mounted below the pod's directory, then removes it (VolumeManager.tearDownPod). */
  tearDownPod(uid: string): Promise<void>;
  logger: Pick<Logger, 'info' | 'warn'>;
}

export class OrphanedPodDirs {
  private running = false;
  /** UIDs whose teardown failed, logged once each, not every housekeeping pass. */
  private readonly failing = new Set<string>();

  constructor(private readonly opts: OrphanedPodDirsOptions) {}

  /** One pass: every <rootDir>/pods/<uid> whose UID `isKnown` does not claim is torn down. Never rejects. */
  async cleanup(isKnown: (uid: string) => boolean): Promise<string[]> {
    if (this.running) return [];
    this.running = true;
    const removed: string[] = [];
    try {
      const uids = await readdir(path.join(this.opts.rootDir, 'pods')).catch(() => [] as string[]);
      for (const uid of uids) {
        // Asked again per UID: a pod may have arrived while an earlier one was being removed.
        if (isKnown(uid)) continue;
        try {
          await this.opts.tearDownPod(uid);
          this.failing.delete(uid);
          removed.push(uid);
          this.opts.logger.info({ uid }, 'removed orphaned pod directory');
        } catch (err) {
          if (!this.failing.has(uid)) this.opts.logger.warn({ uid, err: String(err) }, 'orphaned pod directory cannot be removed yet');
          this.failing.add(uid);
        }
      }
    } finally {
      this.running = false;
    }
    return removed;
  }
}
