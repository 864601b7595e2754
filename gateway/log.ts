// A small structured logger: one JSON object per line (time, level, msg, fields) so logs
// can be shipped and queried as they are. Field values pass through a redactor, so a
// secret handed to the logger by mistake is masked rather than written out.
import { MASK, maskUrlPassword } from '../config/mask.js';
import type { LogLevel } from '../config/schema.js';

export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line, e.g. `{ service: 'http' }`. */
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  readonly level: LogLevel;
  /** Receives each line, newline included; defaults to stderr. */
  readonly write?: (line: string) => void;
  readonly now?: () => Date;
}

const RANK: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Field names whose values are never written. */
const SECRET_FIELD = /^(password|passphrase|secret|token|macaroon|authorization|cookie|preimage|mnemonic|seed|private_?key)$/i;

/** How deep nested fields are followed before being cut off. */
const MAX_FIELD_DEPTH = 5;

function redact(key: string, value: unknown, depth: number): unknown {
  if (SECRET_FIELD.test(key)) return MASK;
  if (typeof value === 'string') return value.includes('@') ? maskUrlPassword(value) : value;
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return code === undefined ? { name: value.name, message: value.message } : { name: value.name, message: value.message, code };
  }
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_FIELD_DEPTH) return '[nested too deep]';
  if (Array.isArray(value)) return value.map((item) => redact('', item, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redact(k, v, depth + 1)]));
}

export function createLogger(options: LoggerOptions): Logger {
  const write = options.write ?? ((line: string) => void process.stderr.write(line));
  const now = options.now ?? (() => new Date());
  const threshold = RANK[options.level];

  const make = (base: LogFields): Logger => {
    const log = (level: LogLevel, msg: string, fields: LogFields = {}): void => {
      if (RANK[level] < threshold) return;
      const extra = redact('', { ...base, ...fields }, 0) as Record<string, unknown>;
      // Fields may not overwrite the three keys every line has.
      const { time: _time, level: _level, msg: _msg, ...rest } = extra;
      write(`${JSON.stringify({ time: now().toISOString(), level, msg, ...rest })}\n`);
    };
    return {
      debug: (msg, fields) => log('debug', msg, fields),
      info: (msg, fields) => log('info', msg, fields),
      warn: (msg, fields) => log('warn', msg, fields),
      error: (msg, fields) => log('error', msg, fields),
      child: (fields) => make({ ...base, ...fields }),
    };
  };
  return make({});
}
