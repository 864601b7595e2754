// POST /autodiscover/autodiscover.xml: Outlook Autodiscover, the POX form ("outlook" response
// schema 2006a) with one IMAP and one SMTP protocol for the requested address. The request is
// read with the strict XML reader; anything but <Autodiscover><Request><EMailAddress> is 400.
import { mailAccount, type ClientSetup } from '../client-setup.js';
import { errorResponse } from '../errors.js';
import { textResponse, XML_CONTENT_TYPE } from '../text.js';
import type { Handler, Route } from '../types.js';
import { childNamed, escapeXml, parseXml, XmlSyntaxError, type XmlElement } from '../xml.js';

/** Outlook asks both spellings: paths are matched exactly. */
export const AUTODISCOVER_PATHS = ['/autodiscover/autodiscover.xml', '/Autodiscover/Autodiscover.xml'] as const;

const RESPONSE_NS = 'http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006';
const OUTLOOK_NS = 'http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a';

export function autodiscoverRoutes(setup: ClientSetup): Route[] {
  const post: Handler = async (request) => {
    const address = requestedAddress(request.body);
    if (address === undefined) return errorResponse('bad_request');
    const account = await mailAccount(setup, address);
    if (!account.ok) return account.response;
    return textResponse(200, XML_CONTENT_TYPE, autodiscoverXml(setup, account.address!));
  };
  return AUTODISCOVER_PATHS.map((path) => ({ path, methods: { POST: post } }));
}

/** The request's EMailAddress; undefined when the body is not such a request. */
export function requestedAddress(body: Uint8Array): string | undefined {
  let root: XmlElement;
  try {
    root = parseXml(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch (err) {
    if (err instanceof XmlSyntaxError || err instanceof TypeError) return undefined;
    throw err;
  }
  if (root.name !== 'Autodiscover') return undefined;
  const request = childNamed(root, 'Request');
  const address = request && childNamed(request, 'EMailAddress');
  return address?.text.trim() || undefined;
}

export function autodiscoverXml(setup: ClientSetup, address: string): string {
  const host = escapeXml(setup.hostname);
  const login = escapeXml(address);
  const smtp =
    setup.ports.submissions === undefined ? { port: setup.ports.submission, tls: '<Encryption>TLS</Encryption>' } : { port: setup.ports.submissions, tls: '<SSL>on</SSL>' };
  return (
    '<?xml version="1.0" encoding="utf-8"?>\n' +
    `<Autodiscover xmlns="${RESPONSE_NS}">\n` +
    `  <Response xmlns="${OUTLOOK_NS}">\n` +
    '    <User>\n' +
    `      <AutoDiscoverSMTPAddress>${login}</AutoDiscoverSMTPAddress>\n` +
    '    </User>\n' +
    '    <Account>\n' +
    '      <AccountType>email</AccountType>\n' +
    '      <Action>settings</Action>\n' +
    '      <Protocol>\n' +
    '        <Type>IMAP</Type>\n' +
    `        <Server>${host}</Server>\n` +
    `        <Port>${setup.ports.imaps}</Port>\n` +
    '        <DomainRequired>off</DomainRequired>\n' +
    `        <LoginName>${login}</LoginName>\n` +
    '        <SPA>off</SPA>\n' +
    '        <SSL>on</SSL>\n' +
    '        <AuthRequired>on</AuthRequired>\n' +
    '      </Protocol>\n' +
    '      <Protocol>\n' +
    '        <Type>SMTP</Type>\n' +
    `        <Server>${host}</Server>\n` +
    `        <Port>${smtp.port}</Port>\n` +
    '        <DomainRequired>off</DomainRequired>\n' +
    `        <LoginName>${login}</LoginName>\n` +
    '        <SPA>off</SPA>\n' +
    `        ${smtp.tls}\n` +
    '        <AuthRequired>on</AuthRequired>\n' +
    '        <UsePOPAuth>off</UsePOPAuth>\n' +
    '        <SMTPLast>off</SMTPLast>\n' +
    '      </Protocol>\n' +
    '    </Account>\n' +
    '  </Response>\n' +
    '</Autodiscover>\n'
  );
}
