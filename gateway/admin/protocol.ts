// The admin socket's wire format, one JSON object per line each way. Requests are
// {"id":1,"op":"domain.add","args":{...}}; replies {"id":1,"ok":true,"result":...} or
// {"id":1,"ok":false,"error":{"code":"...","message":"..."}}. Parsing only: no socket here.
import { join } from 'node:path';
import * as z from 'zod';

/** The socket's file name inside the data directory. */
export const ADMIN_SOCKET_FILE = 'admin.sock';

export function adminSocketPath(dataDir: string): string {
  return join(dataDir, ADMIN_SOCKET_FILE);
}

export const ADMIN_OP_NAMES = ['domain.add', 'domain.list', 'domain.dns', 'user.add', 'user.list', 'queue.list', 'queue.retry', 'user.passwd', 'user.delete', 'user.export-key', 'token.create', 'token.list', 'token.revoke', 'status', 'mail.import-state', 'mail.import', 'postage.show', 'postage.set', 'contacts.show', 'contacts.set', 'dev.pay'] as const;
export type AdminOpName = (typeof ADMIN_OP_NAMES)[number];

const MAX_ID_CHARS = 64;
const MAX_OP_CHARS = 64;

const ID_EXPECTED = `expected an integer or a string of at most ${MAX_ID_CHARS} characters`;
const idSchema = z.union([z.int({ error: ID_EXPECTED }), z.string({ error: ID_EXPECTED }).max(MAX_ID_CHARS, { error: ID_EXPECTED })], { error: ID_EXPECTED });
export type RequestId = z.output<typeof idSchema>;

const requestSchema = z.strictObject({
  id: idSchema,
  op: z.string().max(MAX_OP_CHARS),
  args: z.record(z.string(), z.unknown()).optional(),
});

export interface AdminRequest {
  readonly id: RequestId;
  readonly op: string;
  readonly args: Readonly<Record<string, unknown>>;
}

export interface WireError {
  readonly code: string;
  readonly message: string;
}

export type AdminReply =
  | { readonly id: RequestId | null; readonly ok: true; readonly result: unknown }
  | { readonly id: RequestId | null; readonly ok: false; readonly error: WireError };

const replySchema = z.discriminatedUnion('ok', [
  z.strictObject({ id: idSchema.nullable(), ok: z.literal(true), result: z.unknown() }),
  z.strictObject({ id: idSchema.nullable(), ok: z.literal(false), error: z.strictObject({ code: z.string(), message: z.string() }) }),
]);

export type ParsedRequest =
  | { readonly ok: true; readonly request: AdminRequest }
  | { readonly ok: false; readonly id: RequestId | null; readonly error: WireError };

/** One request line (without its newline). Never throws: a bad line yields the error reply's parts. */
export function parseRequest(line: string): ParsedRequest {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return { ok: false, id: null, error: { code: 'bad_request', message: 'the request is not valid JSON' } };
  }
  const parsed = requestSchema.safeParse(json);
  if (!parsed.success) {
    return { ok: false, id: salvageId(json), error: { code: 'bad_request', message: `invalid request: ${describeIssues(parsed.error)}` } };
  }
  return { ok: true, request: { id: parsed.data.id, op: parsed.data.op, args: parsed.data.args ?? {} } };
}

/** One reply line (without its newline); undefined when it is not a reply. */
export function parseReply(line: string): AdminReply | undefined {
  try {
    const parsed = replySchema.safeParse(JSON.parse(line));
    return parsed.success ? (parsed.data as AdminReply) : undefined;
  } catch {
    return undefined;
  }
}

/** JSON escapes every newline inside strings, so the encoding is exactly one line. */
export function encodeRequest(request: AdminRequest): string {
  return `${JSON.stringify(request)}\n`;
}

export function encodeReply(reply: AdminReply): string {
  return `${JSON.stringify(reply)}\n`;
}

/** Zod issues as `path: message; path: message`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message)).join('; ');
}

/** The id of an invalid request, if it has a usable one, so the client can match the error. */
function salvageId(json: unknown): RequestId | null {
  const id = (json as { id?: unknown } | null)?.id;
  const parsed = idSchema.safeParse(id);
  return parsed.success && typeof json === 'object' && !Array.isArray(json) ? parsed.data : null;
}
