// Where a pod's files live under --root-dir, as the kubelet lays them out under its own root (kubelet_getters.go).
//
//   <rootDir>/pods/<uid>/volumes/<plugin>/<volume>      the volume itself (what containers see)
//   <rootDir>/pods/<uid>/plugins/<plugin>/<volume>/ready a volume's set-up marker (volumeutil.SetReady)
//   <rootDir>/pods/<uid>/etc-hosts                      the managed /etc/hosts (makeHostsMount)
//   <rootDir>/pods/<uid>/containers/<name>/<restartCount>.termination-log
import path from 'node:path';

export const EMPTY_DIR_PLUGIN = 'kubernetes.io~empty-dir';
export const DOWNWARD_API_PLUGIN = 'kubernetes.io~downward-api';
export const PROJECTED_PLUGIN = 'kubernetes.io~projected';
export const CONFIGMAP_PLUGIN = 'kubernetes.io~configmap';
export const SECRET_PLUGIN = 'kubernetes.io~secret';

export function podDir(rootDir: string, uid: string): string {
  return path.join(rootDir, 'pods', uid);
}

/** getPodVolumeDir */
export function volumeDir(rootDir: string, uid: string, plugin: string, volume: string): string {
  return path.join(podDir(rootDir, uid), 'volumes', plugin, volume);
}

/** getPodPluginDir: per-volume bookkeeping that containers never see. */
export function pluginDir(rootDir: string, uid: string, plugin: string, volume: string): string {
  return path.join(podDir(rootDir, uid), 'plugins', plugin, volume);
}

export function hostsFilePath(rootDir: string, uid: string): string {
  return path.join(podDir(rootDir, uid), 'etc-hosts');
}

export function terminationLogPath(rootDir: string, uid: string, container: string, restartCount: number): string {
  return path.join(podDir(rootDir, uid), 'containers', container, `${restartCount}.termination-log`);
}
