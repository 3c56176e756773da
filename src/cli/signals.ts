// Waiting for SIGINT/SIGTERM as the kubelet does: the first starts a graceful shutdown, a second one exits at once with code 1.
//
// The kubelet gets this from the API server library (SetupSignalContext): the first signal
// cancels its context, and a second, of either kind, calls os.Exit(1) so a stuck shutdown can
// always be cut short from the terminal.

/** The part of `process` this needs (a fake in tests). */
export interface SignalSource {
  once(event: 'SIGINT' | 'SIGTERM', listener: () => void): unknown;
  off(event: 'SIGINT' | 'SIGTERM', listener: () => void): unknown;
}

export interface ShutdownLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/** Resolves with the first signal's name; a second signal (either kind) calls `exit(1)`. */
export function firstShutdownSignal(source: SignalSource, logger: ShutdownLogger, exit: (code: number) => void): Promise<string> {
  return new Promise((resolve) => {
    const first = SIGNALS.map((signal) => {
      const listener = () => {
        first.forEach(({ signal: s, listener: l }) => source.off(s, l));
        logger.info({ signal }, 'shutting down; pods keep running in the runtime (a second signal exits at once)');
        for (const again of SIGNALS) {
          source.once(again, () => {
            logger.warn({ signal: again }, 'second signal: exiting now, without finishing the shutdown');
            exit(1);
          });
        }
        resolve(signal);
      };
      source.once(signal, listener);
      return { signal, listener };
    });
  });
}
