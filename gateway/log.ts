// The structured logger: pino's JSON lines (level, time, pid, hostname, fields, msg) behind a
// small interface, so they can be shipped and queried as they are. Field values pass through
// a redactor first, so a secret handed to the logger by mistake is masked, never written out.
import { pino, type DestinationStream } from 'pino';
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

/** Field names whose values are never written. */
const SECRET_FIELD = /^(password|passphrase|secret|token|macaroon|authorization|cookie|preimage|mnemonic|seed|private_?key)$/i;

/** How deep nested fields are followed before being cut off. */
const MAX_FIELD_DEPTH = 5;

/** Keys every line has (pino's); fields may not overwrite them. */
const RESERVED = new Set(['time', 'level', 'msg', 'pid', 'hostname']);

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

/** Redacted fields without the reserved keys. */
function clean(fields: LogFields): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) if (!RESERVED.has(k)) out[k] = redact(k, v, 1);
  return out;
}

export function createLogger(options: LoggerOptions): Logger {
  const write = options.write ?? ((line: string) => void process.stderr.write(line));
  const now = options.now ?? (() => new Date());
  const destination: DestinationStream = { write };
  const root = pino(
    {
      level: options.level,
      // Level names, not pino's numbers: operators and the tests read "info".
      formatters: { level: (label) => ({ level: label }) },
      timestamp: () => `,"time":"${now().toISOString()}"`,
      // Fields are redacted above (Errors become name, message and code); pino's own err
      // serializer, on by default, would add a type and the stack.
      serializers: { err: (value: unknown) => value },
    },
    destination,
  );

  // Child fields are kept here and merged into each line rather than bound with pino's
  // child(): pino would write a key twice when a child or a line repeats one.
  const make = (base: Record<string, unknown>): Logger => {
    const line = (fields: LogFields | undefined) => (fields === undefined ? base : { ...base, ...clean(fields) });
    return {
      debug: (msg, fields) => root.debug(line(fields), msg),
      info: (msg, fields) => root.info(line(fields), msg),
      warn: (msg, fields) => root.warn(line(fields), msg),
      error: (msg, fields) => root.error(line(fields), msg),
      child: (fields) => make({ ...base, ...clean(fields) }),
    };
  };
  return make({});
}
