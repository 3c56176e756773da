// `mini-kubelet plan FILE`: the commander wiring; the node's flags are the agent's own, so a plan can be asked with the agent's command line.
import { Command, Option } from 'commander';
import { addRunOptions, applyConfigFile } from './flags.js';
import { runPlan, type PlanFlags, type PlanIO } from './plan-run.js';
import { parseDuration } from './duration.js';

/** The agent's flags that change what the agent sends for a pod (names, defaults and help as the agent has them). */
const NODE_FLAGS = [
  '--config', '--hostname-override', '--node-ip', '--root-dir', '--pod-logs-dir', '--cluster-dns', '--cluster-domain', '--resolv-conf',
  '--cgroup-root', '--cgroups-per-qos', '--allow-privileged', '--allow-host-namespaces', '--allow-host-path', '--allowed-unsafe-sysctls', '--max-pods', '--node-labels',
];

/** Adds `plan` to the program. io replaces stdout, stderr and the clock (tests); the exit code is set, never thrown. */
export function registerPlanCommand(program: Command, io: Partial<PlanIO> = {}): Command {
  const fullIO: PlanIO = { out: (s) => void process.stdout.write(s), err: (s) => void process.stderr.write(s), now: () => Date.now(), ...io };
  const agentOptions = addRunOptions(new Command()).options;
  const command = program
    .command('plan')
    .description("print, without running anything, the CRI calls the agent would make for the Pod(s) in FILE, in its order, each with its full request and why, in the planner's words")
    .argument('<file>', 'a Pod manifest (YAML or JSON; several YAML documents make several pods), as the agent reads it from --pod-manifest-path')
    .addOption(new Option('-o, --output <format>', 'yaml (the steps, with comments that tell the syncs apart) or json (the steps alone)').choices(['yaml', 'json']).default('yaml'))
    .option('--pod-manifest-path <dir>', "the agent's --pod-manifest-path, when FILE is read from elsewhere: a static pod's UID hashes the path the agent reads it by, so FILE's name is joined to this (default: FILE as given)")
    .option(
      '--container-runtime-endpoint <endpoint>',
      'read this CRI runtime (read-only calls only: nothing is created, started or stopped): which images are present, and what of this pod already runs, so the plan is what the NEXT sync would do (start, restart and why, kill, or nothing). Without it: offline, an empty node with no images',
    )
    .option('--image-service-endpoint <endpoint>', 'CRI image service socket, when apart from the runtime (default: the runtime endpoint)')
    .addOption(new Option('--runtime-request-timeout <duration>', 'deadline of each CRI call').argParser(parseDuration).default(parseDuration('2m'), '2m'));
  for (const flag of NODE_FLAGS) {
    const option = agentOptions.find((o) => o.long === flag);
    if (option) command.addOption(option);
  }
  return command
    .addHelpText(
      'after',
      `
plan runs the agent's own code: the file source's decoding, defaulting, validation and static-pod
identity (name <name>-<node>, UID from content, node and path), admission, the planner
(computePodActions) and the executor with its image decisions (imagePullPolicy) and its
translation to CRI configs, against a runtime that sends nothing. After the first sync it goes
on as if time passed (init containers exit 0, started containers run) until the pod would run.
It makes nothing on the host: volumes and mounts are shown where the agent would put them.

Each step: sync (1 is the next sync), call (the CRI RPC; "none" for a step that makes no call),
why (the plan step), request (the full CRI request), answer (what a read answered), events (what
the agent would record). Placeholders stand for what the runtime has not answered yet: <new
sandbox, attempt 0>, <new container web, attempt 0>, <pod IP>, <id of IMAGE once pulled>.

A file that is not a valid Pod gets the agent's errors, and exit code 1; so does a pod that
admission would reject.

Examples:
  mini-kubelet plan manifests/web.yaml
  mini-kubelet plan manifests/init-demo.yaml -o json
  mini-kubelet plan manifests/crashloop.yaml --container-runtime-endpoint unix:///run/containerd/containerd.sock --hostname-override node1`,
    )
    .action(async (file: string, _opts: unknown, cmd: Command) => {
      applyConfigFile(cmd, () => ({ info: () => {}, warn: () => {} }) as never);
      process.exitCode = await runPlan(file, cmd.opts<PlanFlags>(), fullIO);
    });
}
