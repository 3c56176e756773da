// `mini-kubelet logs POD [-c CONTAINER]`: the commander wiring, flags as kubectl logs names them.
import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_SERVER } from './client.js';
import { parseDuration } from './duration.js';
import { runLogs, type LogsIO } from './logs-run.js';

interface LogsFlags {
  container?: string;
  follow?: boolean;
  previous?: boolean;
  timestamps?: boolean;
  tail: number;
  limitBytes?: number;
  since?: number;
  sinceTime?: string;
  namespace: string;
  server: string;
}

const integer = (min: number) => (v: string) => {
  const n = Number(v);
  if (!/^-?\d+$/.test(v.trim()) || n < min) throw new InvalidArgumentError(`want an integer >= ${min}`);
  return n;
};

/**
 * Adds `logs` to the program. io replaces stdout and ends a follower (tests); errors go through
 * commander's command.error, so they exit 1 (or throw under exitOverride).
 */
export function registerLogsCommand(program: Command, io: Partial<LogsIO> = {}): Command {
  const fullIO: LogsIO = { out: (chunk) => void process.stdout.write(chunk), ...io };
  return program
    .command('logs')
    .description("print a container's log, as kubectl logs would (the pod may be named by a unique prefix of its name)")
    .argument('<pod>', 'the pod (its full name, e.g. web-node1 for a static pod, or a unique prefix such as web)')
    .argument('[container]', 'the container (same as -c)')
    .option('-c, --container <name>', 'the container; may be left out when the pod has one (or names a default)')
    .option('-f, --follow', 'keep streaming new lines; stays on across container restarts')
    .option('-p, --previous', "the previous instance's log, from before the last restart")
    .option('--timestamps', 'prefix every line with its RFC3339 time')
    .option('--tail <lines>', 'only the last lines (-1: all)', integer(-1), -1)
    .option('--limit-bytes <bytes>', 'stop after this many bytes', integer(1))
    .option('--since <duration>', 'only lines newer than this (5s, 2m, 3h)', parseDuration)
    .option('--since-time <time>', 'only lines after this RFC3339 time')
    .option('-n, --namespace <namespace>', 'the pod\'s namespace', 'default')
    .addOption(new Option('--server <url>', "the agent's read-only address").env('MINI_KUBELET_SERVER').default(DEFAULT_SERVER))
    .action(async (pod: string, positional: string | undefined, flags: LogsFlags, command: Command) => {
      if (positional && flags.container && positional !== flags.container) {
        command.error('error: only one of -c or an inline [CONTAINER] arg is allowed', { exitCode: 1, code: 'mini-kubelet.logs.usage' });
      }
      if (flags.since !== undefined && flags.sinceTime !== undefined) {
        command.error('error: at most one of `sinceTime` or `sinceSeconds` may be specified', { exitCode: 1, code: 'mini-kubelet.logs.usage' });
      }
      try {
        await runLogs(
          {
            server: flags.server,
            pod,
            container: flags.container ?? positional,
            namespace: flags.namespace,
            follow: flags.follow === true,
            previous: flags.previous === true,
            timestamps: flags.timestamps === true,
            tailLines: flags.tail >= 0 ? flags.tail : undefined,
            limitBytes: flags.limitBytes,
            // kubectl rounds up to whole seconds.
            sinceSeconds: flags.since !== undefined ? Math.max(1, Math.ceil(flags.since / 1000)) : undefined,
            sinceTime: flags.sinceTime,
          },
          fullIO,
        );
      } catch (err) {
        const message = (err as Error).message;
        command.error(/^(error|Error)[: ]/.test(message) ? message : `error: ${message}`, { exitCode: 1, code: 'mini-kubelet.logs.failed' });
      }
    });
}
