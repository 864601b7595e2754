// The `--from` URL of `lnmp-gateway import`: imaps://USER@HOST[:PORT] (implicit TLS, 993) or
// imap://USER@HOST[:PORT] (STARTTLS required, 143; a login in clear is never sent). The user
// is percent-decoded (`alice%40example.org` for a user that is an address). A password in the
// URL is refused: it would sit in the shell history and the process list.

export interface LegacyServer {
  readonly host: string;
  readonly port: number;
  /** true: TLS from the first byte (imaps); false: STARTTLS, required (imap). */
  readonly implicitTls: boolean;
  readonly user: string;
  /** The legacy account as the import's progress knows it: user@host, without port or scheme. */
  readonly source: string;
  /** For messages: the URL without anything secret. */
  readonly display: string;
}

export const FROM_USAGE = '--from must be imaps://USER@HOST[:PORT] or imap://USER@HOST[:PORT] (STARTTLS)';

/** Parses `--from`; undefined with the reason when it is not a usable legacy server URL. */
export function parseLegacyUrl(text: string): { ok: true; server: LegacyServer } | { ok: false; reason: string } {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, reason: FROM_USAGE };
  }
  const implicitTls = url.protocol === 'imaps:';
  if (!implicitTls && url.protocol !== 'imap:') return { ok: false, reason: FROM_USAGE };
  if (url.password !== '') return { ok: false, reason: 'put no password in --from: it is read from a prompt or --password-stdin' };
  if (url.username === '' || url.hostname === '') return { ok: false, reason: FROM_USAGE };
  if ((url.pathname !== '' && url.pathname !== '/') || url.search !== '' || url.hash !== '') return { ok: false, reason: FROM_USAGE };
  let user: string;
  try {
    user = decodeURIComponent(url.username);
  } catch {
    return { ok: false, reason: `${FROM_USAGE}; the user is not valid percent-encoding` };
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  const port = url.port === '' ? (implicitTls ? 993 : 143) : Number(url.port);
  return {
    ok: true,
    server: { host, port, implicitTls, user, source: `${user}@${host}`, display: `${url.protocol}//${url.username}@${url.host}` },
  };
}
