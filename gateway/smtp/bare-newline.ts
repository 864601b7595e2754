// SMTP smuggling defence. smtp-server ends DATA only at <CR><LF>.<CR><LF>, so the non-standard
// endings other servers honour (<LF>.<LF>, <LF>.<CR><LF>, <CR><LF>.<LF>) arrive here as
// message content; a message with any bare <LF> is refused (Postfix's
// `smtpd_forbid_bare_newline`), so no such sequence is stored or passed on.

/** True when `data` has a <LF> not preceded by <CR>. */
export function hasBareLf(data: Uint8Array): boolean {
  for (let i = data.indexOf(0x0a); i !== -1; i = data.indexOf(0x0a, i + 1)) {
    if (i === 0 || data[i - 1] !== 0x0d) return true;
  }
  return false;
}
