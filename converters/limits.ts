// Size limits of the MIME converters, chosen so that a converted message always fits the
// protocol's content limit (core Limits.MAX_CONTENT_BYTES); limits.test.ts checks the sum.

export const MimeLimits = {
  /** Largest raw RFC 5322 message accepted: the design's 25 MB mail, carried as base64 in `mime`. */
  MAX_MIME_BYTES: 25 * 1024 * 1024,
  /**
   * `body` is a plain-text rendering for LNMP clients and search; the full message stays in
   * `mime`. Capped in UTF-8 bytes so body (even fully JSON-escaped, ×6) and `mime` fit together.
   */
  MAX_BODY_BYTES: 1024 * 1024,
  /** HTML longer than this is not rendered to text (html-to-text is superlinear on hostile input). */
  MAX_HTML_TO_TEXT_CHARS: 4 * 1024 * 1024,
  /** `threadId` and `replyTo` (schema limit). */
  MAX_MESSAGE_ID_CHARS: 128,
  /** `FileAttachment.filename` and `mimeType` (schema limits). */
  MAX_FILENAME_CHARS: 255,
  MAX_MIME_TYPE_CHARS: 255,
  /** When the MIME parser gives up, the Subject is looked for in this much of the message. */
  MAX_FALLBACK_HEADER_BYTES: 64 * 1024,
} as const;
