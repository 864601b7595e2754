// The client-setup routes over a real HTTP socket, with hosted domains from PostgreSQL:
// Thunderbird autoconfig, Outlook Autodiscover, the MTA-STS policy and the Apple profile,
// each with an exact body, and the exact 400/404/405/413 answers.
import { createHash } from 'node:crypto';
import type { Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load.js';
import { AccountService } from '../../services/account-service.js';
import { systemRng } from '../../services/random.js';
import { openTestDb, type TestDb } from '../../test/helpers/databases.js';
import { createLogger } from '../log.js';
import { clientSetupFrom, type ClientSetup } from './client-setup.js';
import { createGatewayRouter } from './gateway-router.js';
import { closeHttpServer, createHttpServer } from './server.js';

let t: TestDb;
let server: Server;
let base: string;
let setup: ClientSetup;

beforeAll(async () => {
  t = await openTestDb('postgres');
  const accounts = new AccountService(t.db, { rng: systemRng });
  await accounts.addDomain('example.test');
  await accounts.addDomain('other.test');
  const env = { LNMP_HOSTNAME: 'mail.example.test', LNMP_IMAP_PORT: '143', LNMP_IMAPS_PORT: '993', LNMP_SUBMISSION_PORT: '587', LNMP_SUBMISSIONS_PORT: '465' };
  setup = clientSetupFrom(loadConfig({ env, readFile: () => '' }).config, (domain) => accounts.isHostedDomain(domain));
  server = createHttpServer(createGatewayRouter({ version: '0.0.0', setup }), createLogger({ level: 'error', write: () => {} }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await closeHttpServer(server);
  await t.dispose();
});

async function get(path: string, init: RequestInit = {}) {
  const response = await fetch(`${base}${path}`, init);
  return { status: response.status, type: response.headers.get('content-type'), allow: response.headers.get('allow'), body: await response.text(), headers: response.headers };
}

const NOT_FOUND = { status: 404, type: 'application/json', body: '{"error":"not_found"}' };
const BAD_REQUEST = { status: 400, type: 'application/json', body: '{"error":"bad_request"}' };

function autoconfig(domain: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1">
  <emailProvider id="${domain}">
    <domain>${domain}</domain>
    <displayName>${domain} (LNMP Gateway)</displayName>
    <displayShortName>${domain}</displayShortName>
    <incomingServer type="imap">
      <hostname>mail.example.test</hostname>
      <port>993</port>
      <socketType>SSL</socketType>
      <authentication>password-cleartext</authentication>
      <username>%EMAILADDRESS%</username>
    </incomingServer>
    <incomingServer type="imap">
      <hostname>mail.example.test</hostname>
      <port>143</port>
      <socketType>STARTTLS</socketType>
      <authentication>password-cleartext</authentication>
      <username>%EMAILADDRESS%</username>
    </incomingServer>
    <outgoingServer type="smtp">
      <hostname>mail.example.test</hostname>
      <port>465</port>
      <socketType>SSL</socketType>
      <authentication>password-cleartext</authentication>
      <username>%EMAILADDRESS%</username>
    </outgoingServer>
    <outgoingServer type="smtp">
      <hostname>mail.example.test</hostname>
      <port>587</port>
      <socketType>STARTTLS</socketType>
      <authentication>password-cleartext</authentication>
      <username>%EMAILADDRESS%</username>
    </outgoingServer>
  </emailProvider>
</clientConfig>
`;
}

describe('Thunderbird autoconfig', () => {
  it('describes the configured domain when no address is given', async () => {
    expect(await get('/.well-known/autoconfig/mail/config-v1.1.xml')).toMatchObject({ status: 200, type: 'application/xml; charset=utf-8', body: autoconfig('example.test') });
  });

  it('describes the hosted domain of the address, at both paths', async () => {
    expect(await get('/mail/config-v1.1.xml?emailaddress=Bob%40Other.TEST')).toMatchObject({ status: 200, body: autoconfig('other.test') });
    expect(await get('/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=bob@other.test')).toMatchObject({ status: 200, body: autoconfig('other.test') });
  });

  it('offers no SSL submission server when 465 is not configured', async () => {
    const router = createGatewayRouter({ version: '0.0.0', setup: { ...setup, ports: { imap: 2143, imaps: 2993, submission: 2587 } } });
    const response = await router({ method: 'GET', path: '/mail/config-v1.1.xml', query: new URLSearchParams(), headers: {}, body: new Uint8Array() });
    const body = response.body as string;
    expect(body.match(/<port>\d+<\/port>\n {6}<socketType>\w+</g)).toEqual([
      '<port>2993</port>\n      <socketType>SSL<',
      '<port>2143</port>\n      <socketType>STARTTLS<',
      '<port>2587</port>\n      <socketType>STARTTLS<',
    ]);
  });

  it('answers 404 for an address on a domain not hosted, 400 for a malformed one, 405 for POST', async () => {
    expect(await get('/mail/config-v1.1.xml?emailaddress=bob@elsewhere.test')).toMatchObject(NOT_FOUND);
    expect(await get('/mail/config-v1.1.xml?emailaddress=not-an-address')).toMatchObject(BAD_REQUEST);
    expect(await get('/mail/config-v1.1.xml?emailaddress=')).toMatchObject(BAD_REQUEST);
    expect(await get('/mail/config-v1.1.xml', { method: 'POST' })).toMatchObject({ status: 405, allow: 'GET, HEAD', body: '{"error":"method_not_allowed"}' });
    expect(await get('/mail/config-v1.1.xml/')).toMatchObject(NOT_FOUND);
  });
});

const AUTODISCOVER_REQUEST = (address: string) => `<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">
  <Request>
    <EMailAddress>${address}</EMailAddress>
    <AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema>
  </Request>
</Autodiscover>`;

const post = (path: string, body: string) => get(path, { method: 'POST', body, headers: { 'content-type': 'text/xml' } });

describe('Outlook Autodiscover', () => {
  it('answers IMAP and SMTP settings for the requested address', async () => {
    expect(await post('/autodiscover/autodiscover.xml', AUTODISCOVER_REQUEST(' Carol@Example.test '))).toMatchObject({
      status: 200,
      type: 'application/xml; charset=utf-8',
      body: `<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006">
  <Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a">
    <User>
      <AutoDiscoverSMTPAddress>carol@example.test</AutoDiscoverSMTPAddress>
    </User>
    <Account>
      <AccountType>email</AccountType>
      <Action>settings</Action>
      <Protocol>
        <Type>IMAP</Type>
        <Server>mail.example.test</Server>
        <Port>993</Port>
        <DomainRequired>off</DomainRequired>
        <LoginName>carol@example.test</LoginName>
        <SPA>off</SPA>
        <SSL>on</SSL>
        <AuthRequired>on</AuthRequired>
      </Protocol>
      <Protocol>
        <Type>SMTP</Type>
        <Server>mail.example.test</Server>
        <Port>465</Port>
        <DomainRequired>off</DomainRequired>
        <LoginName>carol@example.test</LoginName>
        <SPA>off</SPA>
        <SSL>on</SSL>
        <AuthRequired>on</AuthRequired>
        <UsePOPAuth>off</UsePOPAuth>
        <SMTPLast>off</SMTPLast>
      </Protocol>
    </Account>
  </Response>
</Autodiscover>
`,
    });
  });

  it('reads prefixed names, entities and CDATA, and answers at the capitalised path', async () => {
    const body = '<a:Autodiscover xmlns:a="x"><!-- hi --><a:Request><a:EMailAddress>dave&#64;other<![CDATA[.test]]></a:EMailAddress></a:Request></a:Autodiscover>';
    const r = await post('/Autodiscover/Autodiscover.xml', body);
    expect(r.status).toBe(200);
    expect(r.body).toContain('<LoginName>dave@other.test</LoginName>');
  });

  it.each([
    ['not XML', 'EMailAddress=bob@example.test'],
    ['unclosed elements', '<Autodiscover><Request><EMailAddress>bob@example.test</EMailAddress></Request>'],
    ['a DOCTYPE', '<!DOCTYPE a [<!ENTITY x "bob@example.test">]><Autodiscover><Request><EMailAddress>&x;</EMailAddress></Request></Autodiscover>'],
    ['no EMailAddress', '<Autodiscover><Request></Request></Autodiscover>'],
    ['another root', '<Request><EMailAddress>bob@example.test</EMailAddress></Request>'],
    ['a malformed address', AUTODISCOVER_REQUEST('bob')],
    ['an empty body', ''],
  ])('answers 400 for %s', async (_what, body) => {
    expect(await post('/autodiscover/autodiscover.xml', body)).toMatchObject(BAD_REQUEST);
  });

  it('answers 400 for a body that is not UTF-8', async () => {
    const r = await fetch(`${base}/autodiscover/autodiscover.xml`, { method: 'POST', body: Buffer.from([0x3c, 0x41, 0xff, 0x3e]) });
    expect({ status: r.status, body: await r.text() }).toEqual({ status: 400, body: '{"error":"bad_request"}' });
  });

  it('answers 404 for a domain not hosted and 405 for GET', async () => {
    expect(await post('/autodiscover/autodiscover.xml', AUTODISCOVER_REQUEST('bob@elsewhere.test'))).toMatchObject(NOT_FOUND);
    expect(await get('/autodiscover/autodiscover.xml')).toMatchObject({ status: 405, allow: 'POST', body: '{"error":"method_not_allowed"}' });
  });

  it('answers 413 and closes for a body over 64 KiB', async () => {
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
      let text = '';
      socket.setEncoding('latin1');
      socket.on('data', (chunk: string) => (text += chunk));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
      socket.write('POST /autodiscover/autodiscover.xml HTTP/1.1\r\nHost: x\r\nContent-Length: 65537\r\n\r\n<Autodiscover>');
    });
    expect(reply).toMatch(/^HTTP\/1\.1 413 Payload Too Large\r\n/);
    expect(reply).toMatch(/\r\nConnection: close\r\n/i);
    expect(reply.endsWith('\r\n\r\n{"error":"payload_too_large"}')).toBe(true);
  });
});

describe('MTA-STS policy', () => {
  it('serves the testing policy outside production', async () => {
    expect(await get('/.well-known/mta-sts.txt')).toMatchObject({
      status: 200,
      type: 'text/plain; charset=utf-8',
      body: 'version: STSv1\r\nmode: testing\r\nmx: mail.example.test\r\nmax_age: 604800\r\n',
    });
  });

  it('enforces in production', async () => {
    const file = JSON.stringify({ mode: 'production', hostname: 'MX.example.org', lightning: { allowDevInProduction: true } });
    const { config } = loadConfig({ env: {}, configPath: '/c.json', readFile: () => file });
    const router = createGatewayRouter({ version: '0.0.0', setup: clientSetupFrom(config, () => Promise.resolve(true)) });
    const response = await router({ method: 'GET', path: '/.well-known/mta-sts.txt', query: new URLSearchParams(), headers: {}, body: new Uint8Array() });
    expect(response.body).toBe('version: STSv1\r\nmode: enforce\r\nmx: mx.example.org\r\nmax_age: 604800\r\n');
  });

  it('answers HEAD with the length and no body, and 405 for PUT', async () => {
    const head = await fetch(`${base}/.well-known/mta-sts.txt`, { method: 'HEAD' });
    expect(head.headers.get('content-length')).toBe('71');
    expect(await head.text()).toBe('');
    expect(await get('/.well-known/mta-sts.txt', { method: 'PUT' })).toMatchObject({ status: 405, allow: 'GET, HEAD' });
  });
});

/** The profile's name-based UUIDs, computed here independently: SHA-256, version 8, RFC 4122 variant. */
function uuid(name: string): string {
  const b = createHash('sha256').update(name).digest().subarray(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x80;
  b[8] = (b[8]! & 0x3f) | 0x80;
  return b.toString('hex').toUpperCase().replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5');
}

describe('Apple configuration profile', () => {
  it('downloads an IMAP account profile for the address', async () => {
    const r = await get('/apple/lnmp.mobileconfig?emailaddress=Erin%40example.test');
    const profile = uuid('lnmp-mobileconfig:mail.example.test:erin@example.test');
    const account = uuid('lnmp-mobileconfig:mail.example.test:erin@example.test:email');
    expect(r.status).toBe(200);
    expect(r.type).toBe('application/x-apple-aspen-config');
    expect(r.headers.get('content-disposition')).toBe('attachment; filename="lnmp.mobileconfig"');
    expect(r.body).toBe(`<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
\t<key>PayloadContent</key>
\t<array>
\t\t<dict>
\t\t\t<key>EmailAccountDescription</key>
\t\t\t<string>erin@example.test</string>
\t\t\t<key>EmailAccountType</key>
\t\t\t<string>EmailTypeIMAP</string>
\t\t\t<key>EmailAddress</key>
\t\t\t<string>erin@example.test</string>
\t\t\t<key>IncomingMailServerAuthentication</key>
\t\t\t<string>EmailAuthPassword</string>
\t\t\t<key>IncomingMailServerHostName</key>
\t\t\t<string>mail.example.test</string>
\t\t\t<key>IncomingMailServerPortNumber</key>
\t\t\t<integer>993</integer>
\t\t\t<key>IncomingMailServerUseSSL</key>
\t\t\t<true/>
\t\t\t<key>IncomingMailServerUsername</key>
\t\t\t<string>erin@example.test</string>
\t\t\t<key>OutgoingMailServerAuthentication</key>
\t\t\t<string>EmailAuthPassword</string>
\t\t\t<key>OutgoingMailServerHostName</key>
\t\t\t<string>mail.example.test</string>
\t\t\t<key>OutgoingMailServerPortNumber</key>
\t\t\t<integer>465</integer>
\t\t\t<key>OutgoingMailServerUseSSL</key>
\t\t\t<true/>
\t\t\t<key>OutgoingMailServerUsername</key>
\t\t\t<string>erin@example.test</string>
\t\t\t<key>OutgoingPasswordSameAsIncomingPassword</key>
\t\t\t<true/>
\t\t\t<key>PayloadDescription</key>
\t\t\t<string>Mail account erin@example.test</string>
\t\t\t<key>PayloadDisplayName</key>
\t\t\t<string>erin@example.test</string>
\t\t\t<key>PayloadIdentifier</key>
\t\t\t<string>test.example.mail.lnmp.${profile}.email</string>
\t\t\t<key>PayloadType</key>
\t\t\t<string>com.apple.mail.managed</string>
\t\t\t<key>PayloadUUID</key>
\t\t\t<string>${account}</string>
\t\t\t<key>PayloadVersion</key>
\t\t\t<integer>1</integer>
\t\t</dict>
\t</array>
\t<key>PayloadDescription</key>
\t<string>Sets up erin@example.test on mail.example.test</string>
\t<key>PayloadDisplayName</key>
\t<string>erin@example.test (LNMP Gateway)</string>
\t<key>PayloadIdentifier</key>
\t<string>test.example.mail.lnmp.${profile}</string>
\t<key>PayloadRemovalDisallowed</key>
\t<false/>
\t<key>PayloadType</key>
\t<string>Configuration</string>
\t<key>PayloadUUID</key>
\t<string>${profile}</string>
\t<key>PayloadVersion</key>
\t<integer>1</integer>
</dict>
</plist>
`);
    // The same address gets the same identifiers, so a second download replaces the first.
    expect((await get('/apple/lnmp.mobileconfig?emailaddress=erin@example.test')).body).toBe(r.body);
  });

  it('answers 400 without or with a malformed address, 404 for a domain not hosted, 405 for POST', async () => {
    expect(await get('/apple/lnmp.mobileconfig')).toMatchObject(BAD_REQUEST);
    expect(await get('/apple/lnmp.mobileconfig?emailaddress=%3Cscript%3E')).toMatchObject(BAD_REQUEST);
    expect(await get('/apple/lnmp.mobileconfig?emailaddress=erin@elsewhere.test')).toMatchObject(NOT_FOUND);
    expect(await get('/apple/lnmp.mobileconfig', { method: 'POST' })).toMatchObject({ status: 405, allow: 'GET, HEAD' });
  });
});
