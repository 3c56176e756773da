// hostPath volumes: the type check of each HostPathType, creating what *OrCreate asks for (the kubelet's hostpath plugin).
import type { V1HostPathVolumeSource } from '@kubernetes/client-node';
import type { Stats } from 'node:fs';
import { constants } from 'node:fs';
import { mkdir, open, stat } from 'node:fs/promises';
import { VolumeError } from './errors.js';

/** hostutil.GetFileType: what a path is, following symlinks as os.Stat does. */
function fileType(st: Stats): string {
  if (st.isSocket()) return 'Socket';
  if (st.isCharacterDevice()) return 'CharDevice';
  if (st.isBlockDevice()) return 'BlockDevice';
  if (st.isDirectory()) return 'Directory';
  if (st.isFile()) return 'File';
  throw new Error('only recognise file, directory, socket, block device and character device');
}

async function statOrUndefined(p: string): Promise<Stats | undefined> {
  try {
    return await stat(p);
  } catch {
    return undefined;
  }
}

const DESCRIPTION: Record<string, string> = {
  Directory: 'directory', File: 'file', Socket: 'socket file', CharDevice: 'character device', BlockDevice: 'block device',
};

/** typeMatchedOrError */
async function typeMatchedOrError(p: string, expected: string): Promise<void> {
  const st = await statOrUndefined(p);
  if (!st) throw new VolumeError(`hostPath ${p} doesn't exist`);
  let actual: string;
  try {
    actual = fileType(st);
  } catch (err) {
    throw new VolumeError(`hostPath type check failed, ${p} is not a ${DESCRIPTION[expected]}, unable to determine its type: ${(err as Error).message}`);
  }
  if (actual !== expected) throw new VolumeError(`hostPath type check failed: ${p} is not a ${DESCRIPTION[expected]}, it's a ${actual}`);
}

/** checkType: DirectoryOrCreate makes a 0755 directory (and its parents), FileOrCreate an empty 0644 file (not its parent). */
export async function checkHostPathType(p: string, type: string): Promise<void> {
  switch (type) {
    case 'DirectoryOrCreate':
      if (!(await statOrUndefined(p))) {
        await mkdir(p, { recursive: true, mode: 0o755 }).catch((err: Error) => {
          throw new VolumeError(`hostPath ${p}: cannot create directory: ${err.message}`);
        });
      }
      return typeMatchedOrError(p, 'Directory');
    case 'Directory':
      return typeMatchedOrError(p, 'Directory');
    case 'FileOrCreate':
      if (!(await statOrUndefined(p))) {
        const f = await open(p, constants.O_RDONLY | constants.O_CREAT, 0o644).catch((err: Error) => {
          throw new VolumeError(`hostPath ${p}: cannot create file: ${err.message}`);
        });
        await f.close();
      }
      return typeMatchedOrError(p, 'File');
    case 'File':
      return typeMatchedOrError(p, 'File');
    case 'Socket':
      return typeMatchedOrError(p, 'Socket');
    case 'CharDevice':
      return typeMatchedOrError(p, 'CharDevice');
    case 'BlockDevice':
      return typeMatchedOrError(p, 'BlockDevice');
    default:
      throw new VolumeError(`${type} is an invalid volume type`);
  }
}

/** hostPathMounter.SetUp: no backsteps in the path; an unset type checks nothing (the runtime makes a missing directory). */
export async function setUpHostPath(source: V1HostPathVolumeSource): Promise<string> {
  const p = source.path;
  if (p.split('/').includes('..')) throw new VolumeError(`invalid HostPath \`${p}\`: must not contain '..'`);
  if (source.type) await checkHostPathType(p, source.type);
  return p;
}
