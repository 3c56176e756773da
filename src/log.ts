// Builds the agent's pino logger: human-readable on a terminal, JSON lines otherwise, always on stderr.
import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

export type LogFormat = 'auto' | 'json' | 'text';

export function createLogger(level: string, format: LogFormat = 'auto'): Logger {
  const usePretty = format === 'text' || (format === 'auto' && process.stderr.isTTY);
  if (usePretty) {
    return pino({ level }, pretty({ destination: 2, colorize: process.stderr.isTTY, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', sync: true }));
  }
  return pino({ level, base: undefined }, pino.destination({ dest: 2, sync: false }));
}
