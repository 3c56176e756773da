// Builds the agent's pino logger: human-readable on a terminal, JSON lines otherwise, always on stderr.
import pino, { type Logger, type LoggerOptions } from 'pino';
import { createRequire } from 'node:module';
import { MAX_LOG_FIELD_CHARS, truncate } from './bounded.js';

export type LogFormat = 'auto' | 'json' | 'text';

/** An error as pino's err serializer would print it, with its message and stack cut. */
function boundedError(err: Error): Record<string, unknown> {
  return { type: err.name, message: truncate(err.message, MAX_LOG_FIELD_CHARS), stack: truncate(err.stack ?? '', MAX_LOG_FIELD_CHARS) };
}

/**
 * The logger's safety net: whatever a call passes (an error quoting a file, a message built from
 * user input), no string field or message of a line is longer than MAX_LOG_FIELD_CHARS. The
 * callers bound what they echo already; this keeps one that forgets from writing megabytes.
 */
export const boundedLogOptions: Pick<LoggerOptions, 'formatters' | 'hooks'> = {
  formatters: {
    log(obj) {
      let out: Record<string, unknown> | undefined;
      for (const [k, v] of Object.entries(obj)) {
        const bounded = typeof v === 'string' && v.length > MAX_LOG_FIELD_CHARS ? truncate(v, MAX_LOG_FIELD_CHARS)
          : v instanceof Error && (v.message.length > MAX_LOG_FIELD_CHARS || (v.stack?.length ?? 0) > MAX_LOG_FIELD_CHARS) ? boundedError(v)
          : undefined;
        if (bounded !== undefined) (out ??= { ...obj })[k] = bounded;
      }
      return out ?? obj;
    },
  },
  hooks: {
    logMethod(args, method) {
      const i = typeof args[0] === 'string' ? 0 : 1;
      if (typeof args[i] === 'string' && (args[i] as string).length > MAX_LOG_FIELD_CHARS) args[i] = truncate(args[i] as string, MAX_LOG_FIELD_CHARS);
      return method.apply(this, args);
    },
  },
};

/**
 * pino-pretty (~10 MB RSS with its dependencies) is required only for text output: an agent
 * logging JSON (a service, the bench) never loads it. createRequire keeps createLogger synchronous.
 */
const require = createRequire(import.meta.url);
const loadPretty = () => require('pino-pretty') as typeof import('pino-pretty');

export function createLogger(level: string, format: LogFormat = 'auto'): Logger {
  const usePretty = format === 'text' || (format === 'auto' && process.stderr.isTTY);
  if (usePretty) {
    return pino({ level, ...boundedLogOptions }, loadPretty()({ destination: 2, colorize: process.stderr.isTTY, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', sync: true }));
  }
  return pino({ level, base: undefined, ...boundedLogOptions }, pino.destination({ dest: 2, sync: false }));
}
