// The key holder a successful login yields: the user's identity key and mailbox key, in
// memory only, for a limited time. After the TTL (or lock()) the keys are zeroed and any use
// throws session_expired. Nothing here is ever serialised.
import { ServiceError } from './errors.js';
import { subkey } from './secret-box.js';

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
  readonly #subkeys = new Map<string, Uint8Array>();

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

  /** A purpose-specific key derived from the mailbox key, derived once per session. */
  subkey(purpose: string): Uint8Array {
    this.#check();
    let key = this.#subkeys.get(purpose);
    if (!key) this.#subkeys.set(purpose, (key = subkey(this.#mailboxKey, purpose)));
    return key;
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
    for (const key of this.#subkeys.values()) key.fill(0);
    this.#subkeys.clear();
  }

  #check(): void {
    if (this.#locked) throw new ServiceError('session_expired');
  }

  /** Keeps keys out of logs and JSON. */
  toJSON(): AccountInfo {
    return { userId: this.userId, address: this.address, lnmpAddress: this.lnmpAddress, publicKey: this.publicKey };
  }
}
