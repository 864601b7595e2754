// Thunderbird autoconfig (the clientConfig v1.1 format): IMAP over TLS and with STARTTLS,
// submission over TLS (when 465 is configured) and with STARTTLS, the address as user name.
// Served at the well-known path and at /mail/config-v1.1.xml for the `autoconfig.<domain>` host.
import { mailAccount, type ClientSetup } from '../client-setup.js';
import { textResponse, XML_CONTENT_TYPE } from '../text.js';
import type { Handler, Route } from '../types.js';
import { escapeXml } from '../xml.js';

export const AUTOCONFIG_PATHS = ['/.well-known/autoconfig/mail/config-v1.1.xml', '/mail/config-v1.1.xml'] as const;

export function autoconfigRoutes(setup: ClientSetup): Route[] {
  const get: Handler = async (request) => {
    const account = await mailAccount(setup, request.query.get('emailaddress'));
    if (!account.ok) return account.response;
    return textResponse(200, XML_CONTENT_TYPE, autoconfigXml(setup, account.domain));
  };
  return AUTOCONFIG_PATHS.map((path) => ({ path, methods: { GET: get } }));
}

type Socket = 'SSL' | 'STARTTLS';

export function autoconfigXml(setup: ClientSetup, domain: string): string {
  const host = escapeXml(setup.hostname);
  const server = (element: 'incomingServer' | 'outgoingServer', type: 'imap' | 'smtp', port: number, socket: Socket) =>
    `    <${element} type="${type}">\n` +
    `      <hostname>${host}</hostname>\n` +
    `      <port>${port}</port>\n` +
    `      <socketType>${socket}</socketType>\n` +
    '      <authentication>password-cleartext</authentication>\n' +
    '      <username>%EMAILADDRESS%</username>\n' +
    `    </${element}>\n`;
  const { ports } = setup;
  const d = escapeXml(domain);
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    '<clientConfig version="1.1">\n' +
    `  <emailProvider id="${d}">\n` +
    `    <domain>${d}</domain>\n` +
    `    <displayName>${d} (LNMP Gateway)</displayName>\n` +
    `    <displayShortName>${d}</displayShortName>\n` +
    server('incomingServer', 'imap', ports.imaps, 'SSL') +
    server('incomingServer', 'imap', ports.imap, 'STARTTLS') +
    (ports.submissions === undefined ? '' : server('outgoingServer', 'smtp', ports.submissions, 'SSL')) +
    server('outgoingServer', 'smtp', ports.submission, 'STARTTLS') +
    '  </emailProvider>\n' +
    '</clientConfig>\n'
  );
}
