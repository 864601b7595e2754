// What the client-setup routes (autoconfig, Autodiscover, .mobileconfig, MTA-STS) tell mail
// clients and senders, taken from the configuration, and the one rule for which domain a
// request is about. The ports are the ones configured: clients are sent to the ports the
// gateway listens on (993/143/587/465 when it binds them itself; the dev ports on a dev machine).
import type { Config } from '../../config/schema.js';
import { splitAddress } from '../../services/account-service.js';
import { isServiceError } from '../../services/errors.js';
import { mtaStsModeFor, type MtaStsMode } from '../../services/mta-sts.js';
import { errorResponse } from './errors.js';
import type { HttpResponse } from './types.js';

export interface ClientSetup {
  /** The host clients connect to for IMAP and submission. */
  readonly hostname: string;
  /** The domain described when a request names no address. */
  readonly defaultDomain: string;
  readonly mtaStsMode: MtaStsMode;
  readonly ports: {
    readonly imap: number;
    readonly imaps: number;
    readonly submission: number;
    /** Implicit-TLS submission, only when configured. */
    readonly submissions?: number;
  };
  readonly isHostedDomain: (domain: string) => Promise<boolean>;
}

export function clientSetupFrom(config: Config, isHostedDomain: (domain: string) => Promise<boolean>): ClientSetup {
  const { imap, imaps, submission, submissions } = config.ports;
  return {
    hostname: config.hostname.toLowerCase(),
    defaultDomain: config.domain.toLowerCase(),
    mtaStsMode: mtaStsModeFor(config.mode),
    ports: { imap, imaps, submission, ...(submissions === undefined ? {} : { submissions }) },
    isHostedDomain,
  };
}

export type MailAccount =
  | { readonly ok: true; readonly domain: string; /** Normalised, when the request named one. */ readonly address?: string }
  | { readonly ok: false; readonly response: HttpResponse };

/**
 * The account a request is about: `address` on a hosted domain, or the default domain when
 * there is no address. A malformed address is 400, one on a domain not hosted here 404.
 * Whether the user exists is not revealed: every address of a hosted domain gets its settings.
 */
export async function mailAccount(setup: ClientSetup, address: string | null | undefined): Promise<MailAccount> {
  if (address === null || address === undefined) return { ok: true, domain: setup.defaultDomain };
  let parts: { username: string; domain: string };
  try {
    parts = splitAddress(address.trim());
  } catch (err) {
    if (isServiceError(err, 'invalid_address')) return { ok: false, response: errorResponse('bad_request') };
    throw err;
  }
  if (!(await setup.isHostedDomain(parts.domain))) return { ok: false, response: errorResponse('not_found') };
  return { ok: true, domain: parts.domain, address: `${parts.username}@${parts.domain}` };
}
