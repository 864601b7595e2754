// AUTH: a client proves it owns a key by signing the relay's challenge nonce together with
// the relay URL it connected to and the time. Pure functions plus a small per-connection
// state (issued and used nonces); the clock and randomness come in as parameters.
import { canonicalize } from '../core/jcs.js';
import { fromHex, toHex, utf8 } from '../core/bytes.js';
import { sha256 } from '../core/hash.js';
import { publicKeyHexOf, schnorrSign, schnorrVerify } from '../core/secp256k1.js';
import type { Rng } from '../core/keys.js';
import { RelayError } from './errors.js';
import type { AuthFrame, Filter } from './frames.js';
import type { RelayLimits } from './limits.js';

export const AUTH_CONTEXT = 'lnmp/v1/relay-auth';

/** The 32 bytes an AUTH signature covers: sha256 of the JCS of the bound values. */
export function authDigest(p: { pubkey: string; relay: string; challenge: string; timestamp: number }): Uint8Array {
  return sha256(utf8(canonicalize({ context: AUTH_CONTEXT, pubkey: p.pubkey, relay: p.relay, challenge: p.challenge, timestamp: p.timestamp })));
}

/** Builds a signed AUTH frame (clients, tests). */
export function signAuth(p: { privateKey: Uint8Array; relay: string; challenge: string; timestamp: number }, rng: Rng): AuthFrame {
  const pubkey = publicKeyHexOf(p.privateKey);
  const digest = authDigest({ pubkey, relay: p.relay, challenge: p.challenge, timestamp: p.timestamp });
  return { type: 'AUTH', pubkey, relay: p.relay, challenge: p.challenge, timestamp: p.timestamp, signature: toHex(schnorrSign(digest, p.privateKey, rng(32))) };
}

/** What one connection has been challenged with and has proven. */
export class AuthState {
  /** Nonces sent and not yet used; a connection holds one at a time. */
  private readonly open = new Set<string>();
  private readonly used = new Set<string>();
  readonly keys = new Set<string>();
  private failures = 0;

  constructor(
    private readonly relayUrl: string,
    private readonly limits: Pick<RelayLimits, 'maxAuthKeysPerConnection' | 'maxAuthFailuresPerConnection' | 'authMaxSkewSeconds'>,
  ) {}

  /** A new nonce to send in a CHALLENGE frame. */
  issue(rng: Rng): string {
    const challenge = toHex(rng(32));
    this.open.add(challenge);
    return challenge;
  }

  /** Checks the frame and records the key; throws `auth_failed` or `limit`. The nonce is used up only on success. */
  accept(frame: AuthFrame, nowSeconds: number): void {
    // Each attempt may cost a signature check: a connection gets a bounded number of failures.
    if (this.failures >= this.limits.maxAuthFailuresPerConnection) throw new RelayError('limit', `more than ${this.limits.maxAuthFailuresPerConnection} failed AUTH attempts on this connection`);
    try {
      this.check(frame, nowSeconds);
    } catch (err) {
      this.failures++;
      throw err;
    }
    this.open.delete(frame.challenge);
    this.used.add(frame.challenge);
    this.keys.add(frame.pubkey);
  }

  private check(frame: AuthFrame, nowSeconds: number): void {
    const { maxAuthKeysPerConnection: maxKeys, authMaxSkewSeconds: maxSkew } = this.limits;
    if (frame.relay !== this.relayUrl) throw new RelayError('auth_failed', `signed for relay ${JSON.stringify(frame.relay.slice(0, 80))}, this is ${this.relayUrl}`);
    if (this.used.has(frame.challenge)) throw new RelayError('auth_failed', 'challenge already used');
    if (!this.open.has(frame.challenge)) throw new RelayError('auth_failed', 'unknown challenge');
    if (Math.abs(nowSeconds - frame.timestamp) > maxSkew) {
      throw new RelayError('auth_failed', `stale timestamp (more than ${maxSkew} s from the relay's clock)`);
    }
    if (!schnorrVerify(fromHex(frame.signature, 64), authDigest(frame), fromHex(frame.pubkey, 32))) throw new RelayError('auth_failed', 'bad signature');
    if (!this.keys.has(frame.pubkey) && this.keys.size >= maxKeys) throw new RelayError('limit', `at most ${maxKeys} keys per connection`);
  }

  /**
   * A filter may read only envelopes of authenticated keys: every key in `to` (mail addressed
   * to it) or every key in `from` (its own sent mail, whose key entry the sender holds).
   * A filter naming neither could read anyone's mail by id, kind or time.
   */
  assertMayRead(filter: Filter): void {
    const proven = (keys: readonly string[] | undefined) => keys !== undefined && keys.every((k) => this.keys.has(k));
    if (proven(filter.to) || proven(filter.from)) return;
    const stranger = [...(filter.to ?? []), ...(filter.from ?? [])].find((k) => !this.keys.has(k));
    throw new RelayError('auth_required', stranger ? `AUTH as ${stranger} to read its messages` : 'a filter must name "to" or "from" keys this connection has authenticated as');
  }
}
