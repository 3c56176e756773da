// Makes sure a container's image is on the node, following imagePullPolicy, with per-image back-off (the kubelet's images.EnsureImageExists).
import type { V1Container, V1Pod, V1Secret } from '@kubernetes/client-node';
import PQueue from 'p-queue';
import type { Logger } from 'pino';
import type { CriRuntime, Image, PodSandboxConfig } from '../cri/types.js';
import { containerFieldPath, type EventRecorder } from '../events/recorder.js';
import { bindCause } from '../trace/cause.js';
import { imagePullKey, type BackOff } from './backoff.js';
import { makeDockerKeyring, normalizedRepository } from './keyring.js';

export type EnsureImageResult =
  | { ok: true; imageRef: string; image: Image | undefined }
  | { ok: false; reason: 'ErrImagePull' | 'ImagePullBackOff' | 'ErrImageNeverPull' | 'InvalidImageName'; message: string };

/** ImageStatus answers asked ahead, by image reference with its default tag. */
export type ImageLookAhead = Map<string, Promise<Image | undefined>>;

export interface ImageManagerOptions {
  cri: CriRuntime;
  /** Back-off per image and pod: 10s doubling to 300s, as the kubelet's imageBackOff. */
  backOff: BackOff;
  recorder: EventRecorder;
  logger: Logger;
  clock: () => number;
  /** kubelet --serialize-image-pulls (default true): one pull at a time. */
  serializeImagePulls: boolean;
  /** How often a long pull logs that it is still going. */
  progressEveryMs?: number;
}

/** kubelet: applyDefaultImageTag. A reference without tag or digest means :latest. */
export function withDefaultTag(image: string): string {
  if (image.includes('@')) return image;
  const lastSlash = image.lastIndexOf('/');
  return image.slice(lastSlash + 1).includes(':') ? image : `${image}:latest`;
}

export class ImageManager {
  private readonly pulls: PQueue;

  constructor(private readonly opts: ImageManagerOptions) {
    this.pulls = new PQueue({ concurrency: opts.serializeImagePulls ? 1 : Infinity });
  }

  /**
   * ImageStatus for the containers' images, asked now so the answers are ready when
   * ensureImageExists needs them: the executor asks while RunPodSandbox runs, which takes one CRI
   * round trip off every pod start. Images pulled Always skip it (they are pulled anyway).
   */
  lookAhead(containers: readonly V1Container[]): ImageLookAhead {
    const out: ImageLookAhead = new Map();
    for (const c of containers) {
      const spec = c.image?.trim() ?? '';
      if (spec === '' || c.imagePullPolicy === 'Always') continue;
      const image = withDefaultTag(spec);
      if (out.has(image)) continue;
      const status = this.opts.cri.imageStatus({ image });
      // Awaited (and so rethrown) by ensureImageExists; a sync that ends before that drops it quietly.
      status.catch(() => undefined);
      out.set(image, status);
    }
    return out;
  }

  /** pullSecrets: the pod's image pull secrets that could be read (getPullSecretsForPod), for a pull. */
  async ensureImageExists(
    pod: V1Pod,
    container: V1Container,
    sandboxConfig?: PodSandboxConfig,
    lookAhead?: ImageLookAhead,
    pullSecrets: readonly V1Secret[] = [],
  ): Promise<EnsureImageResult> {
    const { cri, recorder, backOff, clock } = this.opts;
    const fieldPath = containerFieldPath(pod, container.name);
    const spec = container.image?.trim() ?? '';
    if (spec === '') return { ok: false, reason: 'InvalidImageName', message: 'container image is empty' };
    const image = withDefaultTag(spec);
    const policy = container.imagePullPolicy ?? 'IfNotPresent';

    const present = await (lookAhead?.get(image) ?? cri.imageStatus({ image }));
    // "Absent" goes stale once this container pulls the image: a later container with the same
    // image asks again, and finds it rather than pulling a second time. "Present" stays true.
    if (!present) lookAhead?.delete(image);
    if (present && policy !== 'Always') {
      recorder.event(pod, 'Normal', 'Pulled', `Container image "${spec}" already present on machine`, fieldPath);
      return { ok: true, imageRef: present.id, image: present };
    }
    if (!present && policy === 'Never') {
      const message = `Container image "${spec}" is not present with pull policy of Never`;
      recorder.event(pod, 'Warning', 'ErrImageNeverPull', message, fieldPath);
      return { ok: false, reason: 'ErrImageNeverPull', message };
    }

    const key = imagePullKey(pod, image);
    if (backOff.isInBackOffSinceUpdate(key, clock())) {
      const message = `Back-off pulling image "${spec}"`;
      recorder.event(pod, 'Normal', 'BackOff', message, fieldPath);
      return { ok: false, reason: 'ImagePullBackOff', message };
    }

    recorder.event(pod, 'Normal', 'Pulling', `Pulling image "${spec}"`, fieldPath);
    const queuedAt = clock();
    try {
      // Bound to this pod's cause: a queued pull is started by the pull before it, another pod's.
      const { imageRef, startedAt } = await this.pulls.add(bindCause(async () => {
        const startedAt = clock();
        return { imageRef: await this.pullWithProgress(image, sandboxConfig, pullSecrets), startedAt };
      })) as { imageRef: string; startedAt: number };
      const done = clock();
      const pulled = await cri.imageStatus({ image });
      const size = pulled ? ` Image size: ${pulled.size} bytes.` : '';
      recorder.event(
        pod,
        'Normal',
        'Pulled',
        `Successfully pulled image "${spec}" in ${secs(done - startedAt)} (${secs(done - queuedAt)} including waiting).${size}`,
        fieldPath,
      );
      backOff.reset(key);
      // kubelet: EnsureImageExists collects expired pull back-offs after each successful pull.
      backOff.gc();
      return { ok: true, imageRef: pulled?.id ?? imageRef, image: pulled };
    } catch (err) {
      backOff.next(key, clock());
      const detail = err instanceof Error ? err.message : String(err);
      recorder.event(pod, 'Warning', 'Failed', `Failed to pull image "${spec}": ${detail}`, fieldPath);
      return { ok: false, reason: 'ErrImagePull', message: `Failed to pull image "${spec}": ${detail}` };
    }
  }

  /** The pod was removed: its pull back-offs go with it. */
  forgetPod(uid: string): void {
    this.opts.backOff.forgetPod(uid);
  }

  /** CRI PullImage has no progress stream, so a long pull at least says it is still going. */
  private async pullWithProgress(image: string, sandboxConfig: PodSandboxConfig | undefined, pullSecrets: readonly V1Secret[]): Promise<string> {
    const started = this.opts.clock();
    const every = this.opts.progressEveryMs ?? 10_000;
    const timer = setInterval(() => {
      this.opts.logger.info({ image, elapsed: secs(this.opts.clock() - started) }, 'still pulling image');
    }, every);
    timer.unref?.();
    try {
      return await this.pullWithCredentials(image, sandboxConfig, pullSecrets);
    } finally {
      clearInterval(timer);
    }
  }

  /**
   * kuberuntime PullImage: without credentials for the image's registry, one anonymous pull;
   * else each matching credential in turn until one pulls. All failing, the errors together
   * (utilerrors.NewAggregate: one message as is, several as "[a, b]", repeats once).
   */
  private async pullWithCredentials(image: string, sandboxConfig: PodSandboxConfig | undefined, pullSecrets: readonly V1Secret[]): Promise<string> {
    const creds = pullSecrets.length ? makeDockerKeyring(pullSecrets).lookup(normalizedRepository(image)) : [];
    if (creds.length === 0) return this.opts.cri.pullImage({ image }, undefined, sandboxConfig);
    const errors: string[] = [];
    for (const auth of creds) {
      try {
        return await this.opts.cri.pullImage({ image }, auth, sandboxConfig);
      } catch (err) {
        errors.push(err instanceof Error ? err.message : String(err));
      }
    }
    const distinct = [...new Set(errors)];
    throw new Error(distinct.length === 1 ? distinct[0] : `[${distinct.join(', ')}]`);
  }
}

function secs(ms: number): string {
  return `${(ms / 1000).toFixed(3).replace(/\.?0+$/, '')}s`;
}
