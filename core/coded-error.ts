// The base of every layer's error class: a stable, machine-readable code beside the message.
// Each layer keeps its own catalogue of codes and its own subclass; front-ends map codes to
// protocol replies in one place per protocol.
export abstract class CodedError<C extends string> extends Error {
  readonly code: C;

  constructor(code: C, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
