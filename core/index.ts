// Public surface of the LNMP v1 core: pure protocol code, no I/O, clock or randomness of its own.
export * from './errors.js';
export * from './constants.js';
export * from './bytes.js';
export * from './hash.js';
export * from './jcs.js';
export * from './secp256k1.js';
export * from './aead.js';
export * from './keys.js';
export * from './address.js';
export * from './padding.js';
export * from './seal.js';
export * from './content.js';
export * from './envelope.js';
export * from './payment.js';
export * from './identity.js';
export * from './deterministic-rng.js';
export * from './coded-error.js';
