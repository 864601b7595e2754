// Logging in to the mailbox: authenticate (unwraps the keys), then re-wrap whatever was
// delivered while the user was away, so reads after login are symmetric decryption only.
import type { AccountService } from './account-service.js';
import type { MessageService } from './message-service.js';
import type { UnlockedAccount } from './unlocked-account.js';

export async function login(accounts: AccountService, messages: MessageService, address: string, password: string): Promise<UnlockedAccount> {
  const account = await accounts.authenticate(address, password);
  try {
    await messages.rewrapPending(account);
  } catch (err) {
    account.lock();
    throw err;
  }
  return account;
}
