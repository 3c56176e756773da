// `mini-kubelet trace POD`: the commander wiring for the timeline of the CRI calls the agent made for a pod.
import { Command, Option } from 'commander';
import { DEFAULT_SERVER } from './client.js';
import { runTrace, type TraceIO } from './trace-run.js';

interface TraceFlags {
  namespace: string;
  follow?: boolean;
  output?: 'json';
  server: string;
}

/** Adds `trace` to the program. io replaces stdout and stderr and ends a follower (tests); errors exit 1. */
export function registerTraceCommand(program: Command, io: Partial<TraceIO> = {}): Command {
  const fullIO: TraceIO = { out: (s) => void process.stdout.write(s), err: (s) => void process.stderr.write(s), ...io };
  return program
    .command('trace')
    .description(
      'show the CRI calls the agent made for a pod, as a timeline: when, which call, how long, the answer or error, and the sync and plan step that made it',
    )
    .argument('<pod>', 'the pod (its full name, e.g. web-node1 for a static pod, or a unique prefix such as web)')
    .option('-n, --namespace <namespace>', "the pod's namespace", 'default')
    .option('-f, --follow', 'after the calls so far, print each new call as the agent makes it; ends when the pod is removed')
    .addOption(new Option('-o, --output <format>', 'json: the agent\'s PodTrace object (with -f, one JSON call per line)').choices(['json']))
    .addOption(new Option('--server <url>', "the agent's read-only address").env('MINI_KUBELET_SERVER').default(DEFAULT_SERVER))
    .addHelpText(
      'after',
      `
The agent keeps the last 200 calls of each pod (and drops them with the pod) and serves them at
GET /pods/<namespace>/<name>/trace on its read-only port (?watch=true streams new ones). Only the
calls a pod's syncs make are recorded: not the PLEG's relists, the garbage collector, stats, log
rotation or probes. Each call is grouped under its cause, for example:

  sync #3: start container crasher (restart 2): exited with code 3, restartPolicy Always
    10:04:31.020  CreateContainer   crasher attempt 2            41ms  id 5be1c2d3e4f50

Examples:
  mini-kubelet trace web
  mini-kubelet trace crashloop -f
  mini-kubelet trace web -o json`,
    )
    .action(async (pod: string, flags: TraceFlags, command: Command) => {
      try {
        await runTrace({ server: flags.server, pod, namespace: flags.namespace, follow: flags.follow === true, json: flags.output === 'json' }, fullIO);
      } catch (err) {
        const message = (err as Error).message;
        command.error(/^(error|Error)[: ]/.test(message) ? message : `error: ${message}`, { exitCode: 1, code: 'mini-kubelet.trace.failed' });
      }
    });
}
