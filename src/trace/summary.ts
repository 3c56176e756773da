// One short line for what a CRI call was about and one for what it answered, so a trace entry keeps no request or response object.
import type { Container, ContainerConfig, ContainerStatus, CriRuntime, ExecSyncResult, Image, PodSandbox, PodSandboxConfig, PodSandboxStatus } from '../cri/types.js';

/** Errors and answers are cut to this many characters: a trace holds no unbounded text. */
export const MAX_TEXT = 300;

export function bounded(text: string, max = MAX_TEXT): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** The first 13 characters of a CRI id, as crictl prints them; a plan's placeholder ("<new sandbox, ...>") whole. */
export const shortId = (id: string | undefined): string => (id?.startsWith('<') ? id : (id ?? '').replace(/^sha256:/, '').slice(0, 13));

type Args = readonly unknown[];

/** What the call was about: the container and attempt, the image, the object's id. */
export function callTarget(method: keyof CriRuntime, args: Args): string {
  switch (method) {
    case 'runPodSandbox': {
      const m = (args[0] as PodSandboxConfig | undefined)?.metadata;
      return `attempt ${m?.attempt ?? 0}`;
    }
    case 'createContainer': {
      const m = (args[1] as ContainerConfig | undefined)?.metadata;
      return `${m?.name ?? ''} attempt ${m?.attempt ?? 0}`;
    }
    case 'imageStatus':
    case 'pullImage':
    case 'removeImage':
      return (args[0] as { image?: string } | undefined)?.image ?? '';
    case 'stopContainer':
      return `${shortId(args[0] as string)} timeout ${String(args[1])}s`;
    case 'execSync':
      return bounded(`${shortId(args[0] as string)} ${((args[1] as string[] | undefined) ?? []).join(' ')}`, 80);
    case 'listContainers':
    case 'listPodSandbox':
      return '';
    default:
      return typeof args[0] === 'string' ? shortId(args[0]) : '';
  }
}

/** What the runtime answered, in a few words. */
export function callAnswer(method: keyof CriRuntime, value: unknown): string {
  switch (method) {
    case 'runPodSandbox':
    case 'createContainer':
      return `id ${shortId(value as string)}`;
    case 'pullImage':
      return bounded(String(value ?? ''), 120);
    case 'imageStatus': {
      const image = value as Image | undefined;
      return image ? `present ${shortId(image.id)}` : 'absent';
    }
    case 'podSandboxStatus': {
      const s = value as PodSandboxStatus;
      return `${s.state}${s.network?.ip ? ` ip ${s.network.ip}` : ''}`;
    }
    case 'containerStatus': {
      const s = value as ContainerStatus;
      return s.state === 'CONTAINER_EXITED' ? `${s.state} exit ${s.exitCode}${s.reason ? ` (${s.reason})` : ''}` : s.state;
    }
    case 'listContainers':
      return count((value as Container[]).length, 'container');
    case 'listPodSandbox':
      return count((value as PodSandbox[]).length, 'sandbox');
    case 'execSync':
      return `exit ${(value as ExecSyncResult).exitCode}`;
    default:
      return 'ok';
  }
}

const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : what.endsWith('x') ? 'es' : 's'}`;
