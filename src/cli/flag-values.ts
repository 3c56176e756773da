// The value parsers the agent's flags share (integers, ports, booleans, lists, Go durations), with the errors commander prints.
import { Option } from 'commander';
import { parseDuration } from './duration.js';

function integer(v: string, ok: (n: number) => boolean, what: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || !ok(n)) throw new Error(`not ${what}: ${v}`);
  return n;
}

export const nonNegativeInt = (v: string) => integer(v, (n) => n >= 0, 'a non-negative integer');
export const positiveInt = (v: string) => integer(v, (n) => n > 0, 'a positive integer');
export const signedInt = (v: string) => integer(v, () => true, 'an integer');
export const port = (v: string) => integer(v, (n) => n >= 1 && n <= 65535, 'a port number (1-65535)');

/** The kubelet's bool flags take exactly true or false. */
export const bool = (v: string) => {
  if (!['true', 'false'].includes(v)) throw new Error(`not a boolean (true|false): ${v}`);
  return v === 'true';
};

/** A comma-separated list; blanks dropped. */
export const list = (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean);

/** A Go-style duration flag ("20s", "1m30s") whose help shows the default as written, not in ms. */
export function duration(flags: string, description: string, defaultText: string): Option {
  return new Option(flags, description).argParser(parseDuration).default(parseDuration(defaultText), defaultText);
}
