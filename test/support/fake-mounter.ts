// Records tmpfs mounts instead of making them (unit tests: the volume code's Mounter, with no real mount table).
import type { Mounter, MountPoint } from '../../src/volumes/mounter.js';

export class FakeMounter implements Mounter {
  mounts: MountPoint[] = [];
  calls: string[] = [];
  unmounted: string[] = [];
  /** Mount points whose unmount "fails" silently (still mounted afterwards). */
  stuck = new Set<string>();
  async mountTmpfs(dir: string, options: string[]) {
    this.calls.push(`mount ${dir} ${options.join(',')}`);
    this.mounts.push({ mountPoint: dir, fsType: 'tmpfs', superOptions: options });
  }
  async unmount(dir: string) {
    this.calls.push(`umount ${dir}`);
    this.unmounted.push(dir);
    if (!this.stuck.has(dir)) this.mounts = this.mounts.filter((m) => m.mountPoint !== dir);
  }
  async mountsUnder(dir: string) {
    return this.mounts.filter((m) => m.mountPoint === dir || m.mountPoint.startsWith(dir + '/'));
  }
}
