// GET /apple/lnmp.mobileconfig?emailaddress=...: an unsigned configuration profile for Apple
// Mail with one IMAP account (implicit TLS) and its submission server. UUIDs and identifiers
// derive from host and address, so downloading the profile again replaces the installed one.
import { sha256, toHex, utf8 } from '../../../core/index.js';
import { mailAccount, type ClientSetup } from '../client-setup.js';
import { errorResponse } from '../errors.js';
import { textResponse } from '../text.js';
import type { Route } from '../types.js';
import { escapeXml } from '../xml.js';

export const MOBILECONFIG_PATH = '/apple/lnmp.mobileconfig';
export const MOBILECONFIG_CONTENT_TYPE = 'application/x-apple-aspen-config';

export function mobileconfigRoute(setup: ClientSetup): Route {
  return {
    path: MOBILECONFIG_PATH,
    methods: {
      GET: async (request) => {
        const given = request.query.get('emailaddress');
        if (given === null) return errorResponse('bad_request');
        const account = await mailAccount(setup, given);
        if (!account.ok) return account.response;
        return textResponse(200, MOBILECONFIG_CONTENT_TYPE, mobileconfig(setup, account.address!), {
          'content-disposition': 'attachment; filename="lnmp.mobileconfig"',
        });
      },
    },
  };
}

type Plist = string | number | boolean | readonly Plist[] | { readonly [key: string]: Plist };

export function mobileconfig(setup: ClientSetup, address: string): string {
  const profileUuid = nameUuid(`lnmp-mobileconfig:${setup.hostname}:${address}`);
  const accountUuid = nameUuid(`lnmp-mobileconfig:${setup.hostname}:${address}:email`);
  const identifier = `${setup.hostname.split('.').reverse().join('.')}.lnmp.${profileUuid}`;
  const smtp = setup.ports.submissions ?? setup.ports.submission;
  const account: Plist = {
    EmailAccountDescription: address,
    EmailAccountType: 'EmailTypeIMAP',
    EmailAddress: address,
    IncomingMailServerAuthentication: 'EmailAuthPassword',
    IncomingMailServerHostName: setup.hostname,
    IncomingMailServerPortNumber: setup.ports.imaps,
    IncomingMailServerUseSSL: true,
    IncomingMailServerUsername: address,
    OutgoingMailServerAuthentication: 'EmailAuthPassword',
    OutgoingMailServerHostName: setup.hostname,
    OutgoingMailServerPortNumber: smtp,
    // On 587 Apple Mail upgrades with STARTTLS; on 465 it starts with TLS.
    OutgoingMailServerUseSSL: true,
    OutgoingMailServerUsername: address,
    OutgoingPasswordSameAsIncomingPassword: true,
    PayloadDescription: `Mail account ${address}`,
    PayloadDisplayName: address,
    PayloadIdentifier: `${identifier}.email`,
    PayloadType: 'com.apple.mail.managed',
    PayloadUUID: accountUuid,
    PayloadVersion: 1,
  };
  const profile: Plist = {
    PayloadContent: [account],
    PayloadDescription: `Sets up ${address} on ${setup.hostname}`,
    PayloadDisplayName: `${address} (LNMP Gateway)`,
    PayloadIdentifier: identifier,
    PayloadRemovalDisallowed: false,
    PayloadType: 'Configuration',
    PayloadUUID: profileUuid,
    PayloadVersion: 1,
  };
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n' +
    '<plist version="1.0">\n' +
    `${plist(profile, '')}\n` +
    '</plist>\n'
  );
}

function plist(value: Plist, indent: string): string {
  if (typeof value === 'string') return `${indent}<string>${escapeXml(value)}</string>`;
  if (typeof value === 'number') return `${indent}<integer>${value}</integer>`;
  if (typeof value === 'boolean') return `${indent}<${value}/>`;
  const inner = `${indent}\t`;
  if (Array.isArray(value)) return `${indent}<array>\n${(value as readonly Plist[]).map((v) => `${plist(v, inner)}\n`).join('')}${indent}</array>`;
  const entries = Object.entries(value as Record<string, Plist>).map(([k, v]) => `${inner}<key>${escapeXml(k)}</key>\n${plist(v, inner)}\n`);
  return `${indent}<dict>\n${entries.join('')}${indent}</dict>`;
}

/** A name-based UUID (RFC 9562 version 8 from SHA-256), upper case as Apple writes them. */
function nameUuid(name: string): string {
  const b = sha256(utf8(name)).slice(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x80;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = toHex(b).toUpperCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
