// Runs postStart and preStop hooks (exec, httpGet, sleep) as the kubelet's lifecycle handlerRunner, with preStop bounded by the grace period.
import type { V1Container, V1LifecycleHandler, V1Pod } from '@kubernetes/client-node';
import type { RuntimeService } from '../cri/types.js';
import { containerFieldPath } from '../events/recorder.js';
import type { LifecycleRunner } from '../podworker/deps.js';
import { httpGet, newRequestForHTTPGetAction } from '../prober/http.js';
import type { ProbeEventRecorder } from '../prober/prober.js';
import { realClock, type ProberClock } from '../prober/types.js';
import type { ContainerRef } from '../runtime/types.js';
import { formatPod, goQuote, goSlice } from './format.js';

export interface HookRunnerOptions {
  cri: Pick<RuntimeService, 'execSync' | 'listContainers' | 'podSandboxStatus'>;
  recorder: ProbeEventRecorder;
  logger: { info(obj: object, msg?: string): void; warn(obj: object, msg?: string): void };
  clock?: ProberClock;
}

/** The hook ran out of time or its container is going away. */
class Cancelled extends Error {}

export class HookRunner implements LifecycleRunner {
  private readonly clock: ProberClock;

  constructor(private readonly opts: HookRunnerOptions) {
    this.clock = opts.clock ?? realClock;
  }

  /**
   * Runs postStart; the kubelet gives it no deadline, but it runs in the sync's context, which a
   * pod kill cancels (podWorkers' cancelFn): `signal` ends it then. Resolves to the failure message, if any.
   */
  async postStart(pod: V1Pod, container: V1Container, containerId: string, signal?: AbortSignal): Promise<string | undefined> {
    const handler = container.lifecycle?.postStart;
    if (!handler) return undefined;
    return this.run(pod, container, containerId, undefined, handler, signal ?? new AbortController().signal);
  }

  /**
   * kuberuntime executePreStopHook: run preStop, but wait no longer than the grace period. A
   * failure is an event only ("PreStopHook failed", without the message, which may hold secrets).
   */
  async preStop(pod: V1Pod, container: V1Container, observed: ContainerRef, gracePeriodSeconds: number): Promise<void> {
    const handler = container.lifecycle?.preStop;
    if (!handler) return;
    const abort = new AbortController();
    const done = this.run(pod, container, observed.id, observed.sandboxId, handler, abort.signal, gracePeriodSeconds).then((msg) => {
      // Cut short by the grace period is not a hook failure.
      if (msg === undefined || abort.signal.aborted) return;
      this.opts.logger.warn({ pod: formatPod(pod), container: container.name, err: msg }, 'PreStop hook failed');
      this.opts.recorder.event(pod, 'Warning', 'FailedPreStopHook', 'PreStopHook failed', containerFieldPath(pod, container.name));
    });
    let timer: ReturnType<ProberClock['setTimeout']> | undefined;
    const expired = new Promise<'expired'>((resolve) => {
      timer = this.clock.setTimeout(() => resolve('expired'), Math.max(0, gracePeriodSeconds) * 1000);
      timer.unref?.();
    });
    const first = await Promise.race([done.then(() => 'done' as const), expired]);
    if (timer) this.clock.clearTimeout(timer);
    if (first === 'expired') {
      this.opts.logger.info({ pod: formatPod(pod), container: container.name, gracePeriod: gracePeriodSeconds }, 'PreStop hook not completed in grace period');
      abort.abort(new Cancelled('the grace period ended'));
    }
  }

  /** handlerRunner.Run: the failure message in the kubelet's words, or undefined on success. */
  async run(
    pod: V1Pod,
    container: V1Container,
    containerId: string,
    sandboxId: string | undefined,
    handler: V1LifecycleHandler,
    signal: AbortSignal,
    boundSeconds?: number,
  ): Promise<string | undefined> {
    const where = `for Container ${goQuote(container.name)} in Pod ${goQuote(formatPod(pod))}`;
    if (handler.exec) {
      const command = handler.exec.command ?? [];
      try {
        // No exec timeout (the kubelet passes 0); preStop's call is bounded by the grace period.
        // The signal cancels the call (a kill, or preStop past its grace period).
        const bound = boundSeconds === undefined ? {} : { timeoutMs: boundSeconds * 1000 };
        const res = await this.opts.cri.execSync(containerId, command, 0, { ...bound, signal });
        if (res.exitCode === 0) return undefined;
        const output = Buffer.concat([res.stdout, res.stderr]).toString('utf8');
        const err = `command '${command.join(' ')}' exited with ${res.exitCode}: ${res.stderr.toString('utf8')}`;
        return `Exec lifecycle hook (${goSlice(command)}) ${where} failed - error: ${err}, message: ${goQuote(output)}`;
      } catch (err) {
        return `Exec lifecycle hook (${goSlice(command)}) ${where} failed - error: ${(err as Error).message}, message: ""`;
      }
    }
    if (handler.httpGet) {
      try {
        await this.runHttp(pod, container, containerId, sandboxId, handler, signal);
        return undefined;
      } catch (err) {
        return `HTTP lifecycle hook (${handler.httpGet.path ?? ''}) ${where} failed - error: ${(err as Error).message}`;
      }
    }
    if (handler.sleep) {
      const seconds = handler.sleep.seconds ?? 0;
      const finished = await this.sleep(seconds * 1000, signal);
      return finished ? undefined : `Sleep lifecycle hook (${seconds}) ${where} failed - error: container terminated before sleep hook finished`;
    }
    return `Cannot run handler: invalid handler: ${JSON.stringify(handler)}`;
  }

  private sleep(ms: number, signal: AbortSignal): Promise<boolean> {
    if (signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = this.clock.setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve(true);
      }, ms);
      timer.unref?.();
      const onAbort = () => {
        this.clock.clearTimeout(timer);
        resolve(false);
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * handlerRunner.runHTTPHandler: GET the pod (or the hook's own loopback host). Any answer counts
   * as success, as in the kubelet; only a failed request fails the hook. An HTTPS request that
   * meets a plain HTTP server is retried over HTTP, with a LifecycleHTTPFallback warning.
   */
  private async runHttp(pod: V1Pod, container: V1Container, containerId: string, sandboxId: string | undefined, handler: V1LifecycleHandler, signal: AbortSignal) {
    const action = handler.httpGet!;
    const ips = action.host ? [] : await this.podIPs(containerId, sandboxId);
    if (!action.host && ips.length === 0) throw new Error('failed to find networking container: the pod has no IP');
    const req = newRequestForHTTPGetAction(action, container, { podIP: ips[0] ?? '', podIPs: ips }, 'lifecycle');
    try {
      await httpGet(req, { signal });
    } catch (err) {
      if (req.url.protocol !== 'https:' || !/wrong version number|packet length too long/i.test((err as Error).message)) throw err;
      const plain: typeof req = { url: new URL(req.url.href.replace(/^https:/, 'http:')), headers: new Map(req.headers) };
      plain.headers.delete('Authorization');
      await httpGet(plain, { signal });
      this.opts.recorder.event(pod, 'Warning', 'LifecycleHTTPFallback', `request to HTTPS lifecycle hook ${req.url.host} got HTTP response, retry with HTTP succeeded`);
    }
  }

  /** The pod's IPs from its sandbox, as GetPodStatus would report them. */
  private async podIPs(containerId: string, sandboxId: string | undefined): Promise<string[]> {
    let sb = sandboxId;
    if (!sb) sb = (await this.opts.cri.listContainers({ id: containerId }))[0]?.podSandboxId;
    if (!sb) return [];
    const status = await this.opts.cri.podSandboxStatus(sb);
    const ip = status.network?.ip ?? '';
    return ip ? [ip, ...(status.network?.additionalIps ?? []).map((a) => a.ip)] : [];
  }
}
