// Paying a postage invoice from the native client. The client holds no wallet; the one payer
// today is a recipient gateway in development mode, whose pay page takes `POST <url>/dev-pay`
// and pays through its dev Lightning backend. Anything else is paid with a Lightning wallet.
import type { RelayInvoice } from '../../relay/client-requests.js';
import { CliError, EXIT } from '../cli/errors.js';

export const DEV_PAY_TIMEOUT_MS = 30_000;

/** Pays `invoice` through its pay page's dev-pay form; resolves once the page says it is paid. */
export async function payThroughDevPage(invoice: RelayInvoice): Promise<void> {
  if (invoice.url === undefined) throw new CliError('cannot pay: the invoice names no pay page; pay it with a Lightning wallet', EXIT.failure);
  let url: URL;
  try {
    url = new URL(`${invoice.url.replace(/\/+$/, '')}/dev-pay`);
  } catch {
    throw new CliError(`cannot pay: the pay page URL ${JSON.stringify(invoice.url)} is not a URL`, EXIT.failure);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new CliError(`cannot pay: the pay page URL ${invoice.url} is not http or https`, EXIT.failure);
  let status: number;
  try {
    const response = await fetch(url, { method: 'POST', redirect: 'manual', signal: AbortSignal.timeout(DEV_PAY_TIMEOUT_MS) });
    await response.body?.cancel();
    status = response.status;
  } catch (err) {
    throw new CliError(`cannot pay through ${invoice.url}: ${(err as Error).message}`, EXIT.failure, { cause: err });
  }
  // The page answers a paid (or already paid) invoice with 303 back to itself.
  if (status === 303) return;
  if (status === 404) throw new CliError(`cannot pay: ${invoice.url} takes no development payments (the recipient gateway is not in development mode); pay it with a Lightning wallet`, EXIT.failure);
  throw new CliError(`cannot pay through ${invoice.url}: HTTP ${status}`, EXIT.failure);
}
