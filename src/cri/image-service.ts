// The CRI ImageService over gRPC: one method per RPC, requests built (requests.ts) and responses unwrapped.
import { CRI_REQUESTS as R, type CriRequest } from './requests.js';
import { callTimeout, unary, type RpcContext } from './rpc.js';
import type { FilesystemUsage, Image, ImageService } from './types.js';

/**
 * The kubelet pulls with no deadline at all (remote_image.go: PullImage uses a cancel-only
 * context), because a big image on a slow registry can take many minutes. Every call here keeps
 * a deadline, so pulls get a long one unless the caller sets its own.
 */
export const PULL_TIMEOUT_MS = 60 * 60_000;

export function createImageService(ctx: RpcContext): ImageService {
  const call = <Res>({ rpc, request }: CriRequest, timeoutMs: number) => unary<Res>(ctx, rpc, request, timeoutMs);
  return {
    // An absent image is not an error in CRI: the runtime answers with no image (or an empty one).
    async imageStatus(image, opts) {
      const res = await call<{ image?: Image }>(R.imageStatus(image), callTimeout(ctx, opts));
      return res.image && res.image.id !== '' ? res.image : undefined;
    },

    async pullImage(image, auth, sandboxConfig, opts) {
      const res = await call<{ imageRef: string }>(R.pullImage(image, auth, sandboxConfig), opts?.timeoutMs ?? PULL_TIMEOUT_MS);
      return res.imageRef;
    },

    async listImages(filter, opts) {
      const res = await call<{ images: Image[] }>(R.listImages(filter), callTimeout(ctx, opts));
      return res.images;
    },

    async removeImage(image, opts) {
      await call(R.removeImage(image), callTimeout(ctx, opts));
    },

    // The image filesystems only: containerd 1.6 leaves container_filesystems empty (one shared fs).
    async imageFsInfo(opts) {
      const res = await call<{ imageFilesystems: FilesystemUsage[]; containerFilesystems: FilesystemUsage[] }>(R.imageFsInfo(), callTimeout(ctx, opts));
      return res.imageFilesystems;
    },
  };
}
