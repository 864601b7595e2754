// The key holder a successful login yields: the user's identity key and mailbox key, in
// memory only, for a limited time. After the TTL (or lock()) the keys are zeroed and any use
// throws session_expired. Nothing here is ever serialised.
import { ServiceError } from './errors.js';

export const DEFAULT_SESSION_TTL_MS = 12 * 60 * 60 * 1000;

export interface AccountInfo {
  readonly userId: number;
  readonly address: string;
  readonly lnmpAddress: string;
  readonly publicKey: string;
}

export class UnlockedAccount implements AccountInfo {
  readonly userId: number;
  readonly address: string;
  readonly lnmpAddress: string;
  readonly publicKey: string;
  readonly expiresAt: number;
  #privateKey: Uint8Array;
  #mailboxKey: Uint8Array;
  #timer: NodeJS.Timeout;
  #locked = false;

  constructor(info: AccountInfo, keys: { privateKey: Uint8Array; mailboxKey: Uint8Array }, ttlMs: number, now: number) {
    this.userId = info.userId;
    this.address = info.address;
    this.lnmpAddress = info.lnmpAddress;
    this.publicKey = info.publicKey;
    this.#privateKey = keys.privateKey;
    this.#mailboxKey = keys.mailboxKey;
    this.expiresAt = now + ttlMs;
    this.#timer = setTimeout(() => this.lock(), ttlMs);
    this.#timer.unref();
  }

  get privateKey(): Uint8Array {
    this.#check();
    return this.#privateKey;
  }

  get mailboxKey(): Uint8Array {
    this.#check();
    return this.#mailboxKey;
  }

  get locked(): boolean {
    return this.#locked;
  }

  lock(): void {
    if (this.#locked) return;
    this.#locked = true;
    clearTimeout(this.#timer);
    this.#privateKey.fill(0);
    this.#mailboxKey.fill(0);
  }

  #check(): void {
    if (this.#locked) throw new ServiceError('session_expired');
  }

  /** Keeps keys out of logs and JSON. */
  toJSON(): AccountInfo {
    return { userId: this.userId, address: this.address, lnmpAddress: this.lnmpAddress, publicKey: this.publicKey };
  }
}
