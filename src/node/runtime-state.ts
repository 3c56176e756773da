// What the Ready condition knows of the runtime (the kubelet's runtimeState and updateRuntimeUp): CRI Status every 5 s, the PLEG health check, and the errors in the kubelet's words.
import type { Logger } from 'pino';
import { Periodic, type Clock } from '../clock.js';
import type { RuntimeCondition, RuntimeStatusResponse, VersionResponse } from '../cri/types.js';
import type { RuntimeVersion } from './node-status.js';

/** kubelet maxWaitForContainerRuntime: no good Status for this long means "container runtime is down". */
export const RUNTIME_SYNC_THRESHOLD_MS = 30_000;
/** kubelet Run: `go wait.Until(kl.updateRuntimeUp, 5*time.Second, ...)`. */
export const RUNTIME_UP_PERIOD_MS = 5_000;
/** kubelet ErrNetworkUnknown: the network error until the first Status says otherwise. */
export const NETWORK_UNKNOWN = 'network state unknown';

/** A check the runtime errors include (kubelet: addHealthCheck; the PLEG's is "PLEG"). */
export interface HealthCheck {
  name: string;
  check(): { ok: boolean; message: string };
}

/** The CRI calls the state needs. */
export interface RuntimeStatusSource {
  status(opts?: { timeoutMs?: number }): Promise<RuntimeStatusResponse>;
  version(opts?: { timeoutMs?: number }): Promise<VersionResponse>;
}

/** kubecontainer.RuntimeCondition.String(), and "<nil>" for a missing one as Go's %v prints it. */
const conditionString = (c: RuntimeCondition | undefined) =>
  c ? `${c.type}=${c.status} reason:${c.reason} message:${c.message}` : '<nil>';

export class RuntimeState {
  private lastBaseRuntimeSync: number | undefined;
  private networkError: string | undefined = NETWORK_UNKNOWN;
  private runtimeError: string | undefined;
  private version: RuntimeVersion | undefined;
  private readonly loop: Periodic;
  private failing = false;

  constructor(
    private readonly opts: { cri: RuntimeStatusSource; clock: Clock; logger: Logger; healthChecks: HealthCheck[]; periodMs?: number; thresholdMs?: number },
  ) {
    this.loop = new Periodic(opts.clock, opts.periodMs ?? RUNTIME_UP_PERIOD_MS, () => this.updateRuntimeUp());
  }

  start(delayMs = 0): void {
    this.loop.start(delayMs);
  }

  stop(): void {
    this.loop.stop();
  }

  /**
   * kubelet updateRuntimeUp: a Status that fails leaves the state alone (so after the threshold the
   * runtime counts as down); NetworkReady and RuntimeReady set the network and runtime errors; a
   * ready runtime marks the sync time. The version is read beside it for nodeInfo.
   */
  async updateRuntimeUp(): Promise<void> {
    const { cri, clock, logger } = this.opts;
    let s: RuntimeStatusResponse;
    try {
      s = await cri.status();
      this.version = await cri.version().then((v) => ({ runtimeName: v.runtimeName, runtimeVersion: v.runtimeVersion }), () => undefined);
    } catch (err) {
      if (!this.failing) logger.error({ err: (err as Error).message }, 'Container runtime sanity check failed');
      this.failing = true;
      this.version = undefined;
      return;
    }
    this.failing = false;
    const conditions = s.status?.conditions ?? [];
    const network = conditions.find((c) => c.type === 'NetworkReady');
    this.networkError = network?.status ? undefined : `container runtime network not ready: ${conditionString(network)}`;
    const runtime = conditions.find((c) => c.type === 'RuntimeReady');
    if (!runtime?.status) {
      this.runtimeError = `container runtime not ready: ${conditionString(runtime)}`;
      return;
    }
    this.runtimeError = undefined;
    this.lastBaseRuntimeSync = clock.now();
  }

  /** kubelet runtimeState.runtimeErrors. */
  runtimeErrors(): string[] {
    const errs: string[] = [];
    const threshold = this.opts.thresholdMs ?? RUNTIME_SYNC_THRESHOLD_MS;
    if (this.lastBaseRuntimeSync === undefined) errs.push('container runtime status check may not have completed yet');
    else if (this.lastBaseRuntimeSync + threshold <= this.opts.clock.now()) errs.push('container runtime is down');
    for (const hc of this.opts.healthChecks) {
      const r = hc.check();
      if (!r.ok) errs.push(`${hc.name} is not healthy: ${r.message}`);
    }
    if (this.runtimeError) errs.push(this.runtimeError);
    return errs;
  }

  /** kubelet runtimeState.networkErrors. */
  networkErrors(): string[] {
    return this.networkError ? [this.networkError] : [];
  }

  /** The runtime's last CRI Version answer, undefined while it does not answer. */
  runtimeVersion(): RuntimeVersion | undefined {
    return this.version;
  }
}
