// kubectl's ages: apimachinery's duration.HumanDuration (5s, 2m3s, 3h, 4d) and translateTimestampSince.

/** Mirrors k8s.io/apimachinery/pkg/util/duration.HumanDuration: ~2-3 significant figures. */
export function humanDuration(ms: number): string {
  // Go converts with int(), which truncates toward zero; a second or so in the future is "now".
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.trunc(minutes / 60);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.trunc(hours / 24)}d` : `${Math.trunc(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24)}d`;
  const days = Math.trunc(hours / 24);
  if (hours < 24 * 365 * 8) {
    const dy = days % 365;
    return dy === 0 ? `${Math.trunc(days / 365)}y` : `${Math.trunc(days / 365)}y${dy}d`;
  }
  return `${Math.trunc(days / 365)}y`;
}

/** API times arrive as RFC3339 strings over HTTP, or as Dates from client-node; undefined when unset or unparsable. */
export function toMillis(t: Date | string | undefined | null): number | undefined {
  if (t === undefined || t === null || t === '') return undefined;
  const ms = t instanceof Date ? t.getTime() : Date.parse(t);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Mirrors kubectl's translateTimestampSince: "<unknown>" for a zero time. */
export function timestampSince(t: Date | string | undefined | null, now: number): string {
  const ms = toMillis(t);
  return ms === undefined ? '<unknown>' : humanDuration(now - ms);
}
