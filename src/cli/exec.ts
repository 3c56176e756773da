// `mini-kubelet exec` and `mini-kubelet port-forward`: the commander wiring, flags as kubectl names them, through the agent's node API with the local credentials.
import { Command, Option } from 'commander';
import { runExec } from './exec-run.js';
import { DEFAULT_CERT_DIR, DEFAULT_NODE_API, type NodeApiConnection } from './node-api-client.js';
import { parsePortSpec, runPortForward } from './port-forward-run.js';

interface ConnectionFlags {
  server: string;
  certDir: string;
  certificateAuthority?: string;
  namespace: string;
}

function connectionOptions(cmd: Command): Command {
  return cmd
    .option('-n, --namespace <namespace>', "the pod's namespace", 'default')
    .addOption(new Option('--server <url>', "the agent's node API (its --address and --port)").env('MINI_KUBELET_NODE_API').default(DEFAULT_NODE_API))
    .addOption(new Option('--cert-dir <dir>', "the agent's --cert-dir: its serving certificate and the local client credentials (root only)").env('MINI_KUBELET_CERT_DIR').default(DEFAULT_CERT_DIR))
    .option('--certificate-authority <file>', "the CA to check the agent's serving certificate with (default: <cert-dir>/kubelet.crt, the self-signed one)");
}

function connection(f: ConnectionFlags): NodeApiConnection {
  return { server: f.server, certDir: f.certDir, certificateAuthority: f.certificateAuthority };
}

const fail = (command: Command, err: unknown) => {
  const message = (err as Error).message;
  command.error(/^(error|Error)[: ]/.test(message) ? message : `error: ${message}`, { exitCode: 1, code: 'mini-kubelet.stream.failed' });
};

export function registerExecCommands(program: Command): void {
  connectionOptions(
    program
      .command('exec')
      .description('run a command in a container of a pod on this node, as kubectl exec (through the agent\'s node API, with the local credentials)')
      .usage('POD [-c CONTAINER] [-i] [-t] -- COMMAND [args...]')
      .argument('<pod>', 'the pod (its full name, or a unique prefix such as web for web-<node>)')
      .argument('<command...>', 'the command and its arguments, after --')
      .option('-c, --container <name>', 'the container (default: the annotated default container, or the only one)')
      .option('-i, --stdin', "pass this process's stdin to the command")
      .option('-t, --tty', 'give the command a terminal (stdin must be one)'),
  ).action(async (pod: string, cmd: string[], flags: ConnectionFlags & { container?: string; stdin?: boolean; tty?: boolean }, command: Command) => {
    try {
      process.exitCode = await runExec(
        { ...connection(flags), pod, namespace: flags.namespace, container: flags.container, command: cmd, stdin: flags.stdin === true, tty: flags.tty === true },
        { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, warn: (l) => void process.stderr.write(`${l}\n`) },
      );
    } catch (err) {
      fail(command, err);
    }
  });

  connectionOptions(
    program
      .command('port-forward')
      .description('forward a local port to a port of a pod on this node, as kubectl port-forward (through the agent\'s node API)')
      .usage('POD [LOCAL:]REMOTE')
      .argument('<pod>', 'the pod (its full name, or a unique prefix)')
      .argument('<ports>', 'LOCAL:REMOTE, PORT (the same both sides) or :REMOTE (any free local port)')
      .option('--address <ip>', 'the local address to listen on', '127.0.0.1'),
  ).action(async (pod: string, ports: string, flags: ConnectionFlags & { address: string }, command: Command) => {
    const ac = new AbortController();
    process.once('SIGINT', () => ac.abort());
    process.once('SIGTERM', () => ac.abort());
    try {
      await runPortForward(
        { ...connection(flags), pod, namespace: flags.namespace, ...parsePortSpec(ports), address: flags.address },
        { say: (l) => void process.stdout.write(`${l}\n`), warn: (l) => void process.stderr.write(`${l}\n`), signal: ac.signal },
      );
    } catch (err) {
      fail(command, err);
    }
  });
}
