// `mini-kubelet get pods [NAME]`: the commander wiring for listing and watching the agent's pods.
import { Command, Option } from 'commander';
import { DEFAULT_SERVER } from './client.js';
import { getPods, PodNotFoundError, type GetIO, type OutputFormat } from './get-pods.js';

const POD_RESOURCE_NAMES = ['pods', 'pod', 'po'];

interface GetFlags {
  output?: OutputFormat;
  watch?: boolean;
  server: string;
  namespace?: string;
  allNamespaces?: boolean;
}

/**
 * Adds `get` to the program. io replaces stdout, stderr, the clock and the watch's end (tests);
 * errors go through commander's command.error, so they exit 1 (or throw under exitOverride).
 */
export function registerGetCommand(program: Command, io: Partial<GetIO> = {}): Command {
  const fullIO: GetIO = {
    out: (s) => void process.stdout.write(s),
    err: (s) => void process.stderr.write(s),
    now: () => Date.now(),
    ...io,
  };
  return program
    .command('get')
    .description("display this node's pods, as kubectl get pods would")
    .argument('<resource>', 'the resource type: pods (or pod, po)')
    .argument('[name]', 'only the pod with this name')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['json', 'yaml', 'wide', 'name']))
    .option('-w, --watch', 'after listing, print a row for every change')
    .addOption(
      new Option('--server <url>', "the agent's read-only address").env('MINI_KUBELET_SERVER').default(DEFAULT_SERVER),
    )
    .option('-n, --namespace <namespace>', 'only pods in this namespace')
    .option('-A, --all-namespaces', 'pods in every namespace (the default: this is a node view)')
    .action(async (resource: string, name: string | undefined, flags: GetFlags, command: Command) => {
      if (!POD_RESOURCE_NAMES.includes(resource)) {
        command.error(`error: the server doesn't have a resource type "${resource}"`, { exitCode: 1, code: 'mini-kubelet.get.resource' });
      }
      // As in kubectl, --all-namespaces wins over --namespace.
      const namespace = flags.allNamespaces ? undefined : flags.namespace;
      try {
        await getPods({ server: flags.server, name, output: flags.output, watch: flags.watch, namespace }, fullIO);
      } catch (err) {
        const message = err instanceof PodNotFoundError ? err.message : `error: ${(err as Error).message}`;
        command.error(message, { exitCode: 1, code: 'mini-kubelet.get.failed' });
      }
    });
}
