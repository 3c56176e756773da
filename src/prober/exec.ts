// The exec probe (probe/exec): ExecSync with the probe's timeout; exit 0 succeeds, a timeout fails.
import type { V1EnvVar } from '@kubernetes/client-node';
import { isDeadlineExceeded } from '../cri/errors.js';
import type { RuntimeService } from '../cri/types.js';
import { expand, mappingFuncFor } from '../podworker/translate/expansion.js';
import type { CheckOutcome } from './types.js';

/** kubelet exec prober maxReadLength: the output kept of stdout and stderr together. */
export const MAX_EXEC_OUTPUT = 10 * 1024;

/**
 * kubecontainer.ExpandContainerCommandOnlyStatic: $(VAR) in the command from the container's env
 * values only. A probe does not see the downward API or values from secrets (they expand to "").
 */
export function expandProbeCommand(command: string[], env: V1EnvVar[] | undefined): string[] {
  const vars = new Map((env ?? []).map((e) => [e.name, e.value ?? ''] as const));
  const mapping = mappingFuncFor(vars);
  return command.map((c) => expand(c, mapping));
}

/** containerd 1.6 reports an exec timeout as Unknown "timeout 1s exceeded: ..."; later ones as DeadlineExceeded. */
function isExecTimeout(err: unknown): boolean {
  return isDeadlineExceeded(err) || /timeout \S+ exceeded/.test(String((err as Error)?.message ?? ''));
}

export async function doExecProbe(
  cri: Pick<RuntimeService, 'execSync'>,
  containerId: string,
  command: string[],
  timeoutSeconds: number,
): Promise<CheckOutcome> {
  try {
    const res = await cri.execSync(containerId, command, timeoutSeconds);
    // RunInContainer: stdout, then stderr, limited together.
    const output = Buffer.concat([res.stdout, res.stderr]).subarray(0, MAX_EXEC_OUTPUT).toString('utf8');
    return { result: res.exitCode === 0 ? 'success' : 'failure', output };
  } catch (err) {
    // ExecProbeTimeout (GA): a probe that runs past its timeout fails; it is not thrown away.
    if (isExecTimeout(err)) return { result: 'failure', output: `command ${JSON.stringify(command.join(' '))} timed out` };
    return { result: 'unknown', output: '', error: err as Error };
  }
}
