// The error catalogue of the converters. Malformed mail never throws (it converts as well as it
// can); these errors are for callers that hand the MIME builder values a header cannot carry.
import { CodedError } from '../core/coded-error.js';

export const ConverterErrorCodes = {
  invalid_header_value: 'a value cannot be written into a mail header (line break, control or non-ASCII character)',
  invalid_date: 'the date is not a valid Date',
  oversize: 'the message exceeds the size the converters accept',
  invalid_summary: 'the bytes are not a message summary (converters/message-summary.ts)',
} as const;

export type ConverterErrorCode = keyof typeof ConverterErrorCodes;

export class ConverterError extends CodedError<ConverterErrorCode> {
  override readonly name = 'ConverterError';

  constructor(code: ConverterErrorCode, detail?: string, options?: { cause?: unknown }) {
    super(code, detail ? `${code}: ${detail}` : `${code}: ${ConverterErrorCodes[code]}`, options);
  }
}

export function isConverterError(err: unknown, code?: ConverterErrorCode): err is ConverterError {
  return err instanceof ConverterError && (code === undefined || err.code === code);
}
