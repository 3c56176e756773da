// kubectl describe's PrefixWriter (two spaces per level) over the tabwriter, and Go's RFC1123Z time format.
import { tabwrite } from './describe-tabwriter.js';

export type TimeZone = 'local' | 'UTC';

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => String(n).padStart(2, '0');

/**
 * time.RFC1123Z, "Mon, 02 Jan 2006 15:04:05 -0700", in kubectl's local zone (or UTC). An unset
 * time prints as Go's zero time, as kubectl does for a missing startedAt.
 */
export function rfc1123z(t: Date | string | undefined, zone: TimeZone): string {
  const ms = t === undefined ? NaN : new Date(t).getTime();
  if (Number.isNaN(ms)) return 'Mon, 01 Jan 0001 00:00:00 +0000';
  const offset = zone === 'UTC' ? 0 : -new Date(ms).getTimezoneOffset();
  const d = new Date(ms + offset * 60_000);
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return (
    `${DAYS[d.getUTCDay()]}, ${pad(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${sign}${pad(Math.floor(abs / 60))}${pad(abs % 60)}`
  );
}

export class DescribeWriter {
  private text = '';

  constructor(readonly timeZone: TimeZone) {}

  /** PrefixWriter.Write(level, ...): one line, indented two spaces per level; tabs separate cells. */
  line(level: number, text: string): void {
    this.text += `${'  '.repeat(level)}${text}\n`;
  }

  toString(): string {
    return tabwrite(this.text);
  }
}
