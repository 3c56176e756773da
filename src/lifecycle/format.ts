// Go's formatting of the texts the kubelet puts in hook messages: format.Pod, %v of a []string, %q of a string.
import type { V1Pod } from '@kubernetes/client-node';

/** kubelet util/format.Pod: "name_namespace(uid)". */
export function formatPod(pod: V1Pod): string {
  return `${pod.metadata?.name ?? ''}_${pod.metadata?.namespace ?? ''}(${pod.metadata?.uid ?? ''})`;
}

/** fmt's %v of a []string: "[sh -c exit 1]". */
export function goSlice(items: readonly string[]): string {
  return `[${items.join(' ')}]`;
}

/** fmt's %q of a string, for printable text (control characters are escaped the Go way). */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}
