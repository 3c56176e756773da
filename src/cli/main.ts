// The `mini-kubelet` command line: the agent itself (no subcommand) plus the client commands that talk to a running agent.
import { Command } from 'commander';
import { registerDescribeCommand } from './describe.js';
import { registerExecCommands } from './exec.js';
import { registerGetCommand } from './get.js';
import { registerLogsCommand } from './logs.js';
import { registerTraceCommand } from './trace.js';
import { registerPlanCommand } from './plan.js';
import { addRunOptions, type RunOptions } from './flags.js';
import { runAgent } from './run.js';

export function buildProgram(): Command {
  const program = new Command('mini-kubelet')
    .description('A small, readable kubelet: runs static Pods from manifest files or a manifest URL and, with --kubeconfig, the Pods a Kubernetes API server binds to its node, on a CRI runtime (containerd).')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    // The agent's flags (--cert-dir, --address, ...) before a subcommand only: a client command's own
    // flags of the same name after it are the command's (plan takes some of the agent's flags for itself).
    .enablePositionalOptions()
    .addHelpText(
      'after',
      `
Durations take Go syntax (500ms, 20s, 2m, 1m30s), as the kubelet's flags do.
Client commands (get, describe, logs, trace) talk to a running agent through its read-only port;
exec and port-forward through its node API (--port), with the credentials it keeps in --cert-dir;
plan runs nothing and needs no agent.
Kubelet flags that kubeadm and kind pass and mini-kubelet has no use for (--pod-infra-container-image,
--cgroup-driver, --fail-swap-on, --eviction-hard, ...) are accepted and listed once at startup as
ignored (docs/join-kind-kubeadm.md).

Examples:
  mini-kubelet --pod-manifest-path ./manifests --container-runtime-endpoint unix:///run/containerd/containerd.sock
  mini-kubelet get pods -w
  mini-kubelet describe pod web
  mini-kubelet logs web -f
  mini-kubelet trace web -f
  mini-kubelet plan manifests/web.yaml
  mini-kubelet exec -it web -- sh
  mini-kubelet port-forward web 8080:80`,
    );
  addRunOptions(program).action(async (opts: RunOptions) => {
    await runAgent(opts);
  });
  registerGetCommand(program);
  registerDescribeCommand(program);
  registerLogsCommand(program);
  registerTraceCommand(program);
  registerPlanCommand(program);
  registerExecCommands(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    process.stderr.write(`mini-kubelet: ${(err as Error).message}\n`);
    process.exitCode = 1;
  }
}
