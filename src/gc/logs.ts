// Reads the pod logs directory (--pod-logs-dir) for the GC: which per-pod log directories exist.
import { readdir } from 'node:fs/promises';

/** The names of the directories directly under podLogsDir; none when it does not exist yet. */
export async function listPodLogDirectories(podLogsDir: string): Promise<string[]> {
  try {
    const entries = await readdir(podLogsDir, { withFileTypes: true });
    return entries.filter((e) => e.isDirectory()).map((e) => e.name);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}
