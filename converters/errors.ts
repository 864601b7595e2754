// The error catalogue of the converters. Malformed mail never throws (it converts as well as it
// can); these errors are for callers that hand the MIME builder values a header cannot carry.

export const ConverterErrorCodes = {
  invalid_header_value: 'a value cannot be written into a mail header (line break, control or non-ASCII character)',
  invalid_date: 'the date is not a valid Date',
  oversize: 'the message exceeds the size the converters accept',
} as const;

export type ConverterErrorCode = keyof typeof ConverterErrorCodes;

export class ConverterError extends Error {
  override readonly name = 'ConverterError';
  readonly code: ConverterErrorCode;

  constructor(code: ConverterErrorCode, detail?: string, options?: { cause?: unknown }) {
    super(detail ? `${code}: ${detail}` : `${code}: ${ConverterErrorCodes[code]}`, options);
    this.code = code;
  }
}

export function isConverterError(err: unknown, code?: ConverterErrorCode): err is ConverterError {
  return err instanceof ConverterError && (code === undefined || err.code === code);
}
