// Clean-up on the way out: every figure registers how to undo what it made, so an interrupted run still leaves the runtime empty.

type Undo = () => Promise<unknown>;
const pending = new Set<Undo>();

/** Registers an undo; returns a function that runs it once and unregisters it. */
export function onCleanup(undo: Undo): () => Promise<void> {
  let done = false;
  const run = async (): Promise<void> => {
    if (done) return;
    done = true;
    pending.delete(undo);
    await undo();
  };
  pending.add(undo);
  return run;
}

/** Runs whatever is still registered (after a failure or a signal). */
export async function cleanupAll(): Promise<void> {
  for (const undo of [...pending]) {
    pending.delete(undo);
    await undo().catch((err: unknown) => process.stderr.write(`bench: clean-up failed: ${String(err)}\n`));
  }
}

/** Ctrl-C or a kill: clean up, then exit with the conventional 128+signal code. */
export function cleanupOnSignals(): void {
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    process.once(signal, () => {
      process.stderr.write(`bench: ${signal}, cleaning up\n`);
      void cleanupAll().finally(() => process.exit(code));
    });
  }
}
