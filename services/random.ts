// The system's randomness, for the layers above core (core takes an Rng parameter instead).
import { randomBytes } from 'node:crypto';
import type { Rng } from '../core/index.js';

export const systemRng: Rng = (n) => new Uint8Array(randomBytes(n));
