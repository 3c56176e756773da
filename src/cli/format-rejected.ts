// The `Rejected manifests:` block `get pods` prints on stderr after its table.
import type { RejectedManifest } from '../server/types.js';

/** Empty string when nothing was rejected, so callers can print it unconditionally. */
export function formatRejected(rejected: RejectedManifest[]): string {
  if (rejected.length === 0) return '';
  const lines = rejected.map((r) => {
    const pod = r.podName ? ` pod "${r.podName}"` : '';
    return `  ${r.path} (${r.source})${pod}: ${r.message}\n`;
  });
  return 'Rejected manifests:\n' + lines.join('');
}
