// Public surface of the converters: pure MIME ⇄ LNMP content conversion, no I/O.
export * from './errors.js';
export * from './limits.js';
export * from './message-ids.js';
export * from './attachments.js';
export { mimeToContent, type MimeToContentOptions } from './mime-to-content.js';
export { contentToMime, normaliseBodyText, type ContentToMimeOptions } from './content-to-mime.js';
export { headerEnd, headerFields, type HeaderField } from './header-fields.js';
export { withoutHeaderFields } from './strip-fields.js';
export * from './postage-reply.js';
export * from './vacation-reply.js';
export * from './draft-to-mime.js';
